import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PEER_PREFIX, peerKey } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { PULUMI_TEMPLATE_TSCONFIG, packedTarball, type UserProject, userProject } from "../harness/project";

/**
 * A TypeScript stack moved from the dynamic BgpPeer to the native provider's NativeBgpPeer: the
 * package from its tarball, the plugin named in Pulumi.yaml, the plain CLI. The alias finds the
 * dynamic resource's state, the native provider sees nothing to change, and nothing is written;
 * from then on preview --json carries a detailed diff, and the stack's config is the provider's.
 */
let etcd: TestEtcd;
let work: string;
let p: UserProject;

const PROJECT = `name: moving
runtime: nodejs
description: a stack moving to the native provider
plugins:
  providers:
    - name: calico
      path: ./node_modules/pulumi-calico-bgppeer/plugin
`;

function dynamicProgram(): string {
  return `import { BgpPeer } from "pulumi-calico-bgppeer";
export const uid = new BgpPeer("rack1-tor", { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 64512, labels: { rack: "r1" } }).uid;
`;
}
function nativeProgram(asNumber: number): string {
  return `import { NativeBgpPeer } from "pulumi-calico-bgppeer";
export const uid = new NativeBgpPeer("rack1-tor", { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: ${asNumber}, labels: { rack: "r1" } }, {
  aliases: [{ type: "pulumi-nodejs:dynamic/calico:BgpPeer" }],
}).uid;
`;
}
async function revision(): Promise<string> {
  return (await etcd.admin.get("/nothing").exec()).header.revision;
}

before(async () => {
  etcd = await startEtcd();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-native-ts-"));
  const sdk = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../node_modules/@pulumi/pulumi/package.json"), "utf8")).version;
  p = userProject(work, "moving", {
    dependencies: { "pulumi-calico-bgppeer": `file:${packedTarball()}`, "@pulumi/pulumi": sdk, typescript: "5.9.3", "@types/node": "20.19.25" },
    files: { "tsconfig.json": JSON.stringify(PULUMI_TEMPLATE_TSCONFIG, null, 2), "index.ts": dynamicProgram() },
  });
  p.write("Pulumi.yaml", PROJECT);
  p.ok(["stack", "init", "dev"]);
  p.ok(["config", "set", "calico:etcdEndpoints", etcd.endpoint]);
});
after(async () => {
  await etcd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("moving a TypeScript stack from BgpPeer to NativeBgpPeer", { concurrency: false }, () => {
  it("the dynamic BgpPeer creates the peer", async () => {
    assert.match(p.ok(["up", "--yes"]), /\+ 2 created/);
    assert.ok(await etcd.admin.get(peerKey("rack1-tor")).string());
  });

  it("with an alias, the native provider takes the state over: no changes and no write", async () => {
    const uid = p.ok(["stack", "output", "uid"]).trim();
    const rev = await revision();
    p.write("index.ts", nativeProgram(64512));
    p.ok(["preview", "--expect-no-changes"]);
    p.ok(["up", "--yes", "--expect-no-changes"]);
    assert.equal(await revision(), rev, "nothing was written");
    const state = JSON.parse(p.ok(["stack", "export"]));
    const peer = state.deployment.resources.find((r: any) => r.urn.endsWith("::rack1-tor"));
    assert.equal(peer.type, "calico:index:BgpPeer");
    assert.match(peer.provider, /::pulumi:providers:calico::default/);
    assert.equal(p.ok(["stack", "output", "uid"]).trim(), uid, "the same object");
    p.ok(["refresh", "--yes", "--expect-no-changes"]);
  });

  it("a change then shows in preview --json's detailedDiff, and applies in place", async () => {
    p.write("index.ts", nativeProgram(64513));
    const steps = JSON.parse(p.ok(["preview", "--json"])).steps as any[];
    const step = steps.find((s) => s.urn.endsWith("::rack1-tor"));
    assert.deepEqual(step.detailedDiff, { asNumber: { kind: "update", inputDiff: true } });
    p.ok(["up", "--yes"]);
    assert.equal(JSON.parse((await etcd.admin.get(peerKey("rack1-tor")).string())!).spec.asNumber, 64513);
  });

  it("drift shows in preview --refresh; an up over it is refused with nothing written; refresh, then up restores", async () => {
    const o = JSON.parse((await etcd.admin.get(peerKey("rack1-tor")).string())!);
    o.spec.asNumber = 65099;
    await etcd.admin.put(peerKey("rack1-tor")).value(JSON.stringify(o));
    assert.match(p.ok(["preview", "--refresh", "--diff"]), /asNumber\s*: 65099 => 64513/);
    p.write("index.ts", nativeProgram(64514));
    const rev = await revision();
    const r = p.pulumi(["up", "--yes"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /BGPPeer "rack1-tor" was changed outside Pulumi: etcd has resourceVersion \d+, state has \d+\. Nothing was written\./);
    assert.equal(await revision(), rev);
    p.ok(["refresh", "--yes"]);
    p.ok(["up", "--yes"]);
    assert.equal(JSON.parse((await etcd.admin.get(peerKey("rack1-tor")).string())!).spec.asNumber, 64514);
  });

  it("pulumi import takes a calicoctl-made peer into the TypeScript stack with no write (code generation needs a newer language host)", async () => {
    await etcd.admin.put(peerKey("legacy-peer")).value(
      JSON.stringify({
        kind: "BGPPeer",
        apiVersion: "projectcalico.org/v3",
        metadata: { name: "legacy-peer", uid: "aaaaaaaa-1111-4222-8333-444444444444", creationTimestamp: "2021-01-01T00:00:00Z" },
        spec: { peerIP: "10.9.0.1", asNumber: 64999 },
      }),
    );
    const rev = await revision();
    p.ok(["import", "calico:index:BgpPeer", "legacy", "legacy-peer", "--yes", "--protect=false", "--generate-code=false"]);
    assert.equal(await revision(), rev, "nothing was written");
    const peer = JSON.parse(p.ok(["stack", "export"])).deployment.resources.find((r: any) => r.urn.endsWith("::legacy"));
    assert.equal(peer.outputs.uid, "aaaaaaaa-1111-4222-8333-444444444444");
    assert.deepEqual(peer.inputs, { asNumber: 64999, name: "legacy-peer", peerIP: "10.9.0.1" });
  });

  it("destroy deletes the peers, the imported one too", async () => {
    p.ok(["destroy", "--yes"]);
    assert.deepEqual(await etcd.admin.getAll().prefix(PEER_PREFIX).keys(), []);
  });
});
