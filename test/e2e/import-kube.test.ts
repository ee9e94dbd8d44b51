import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { CRD_GROUP_V1, crBody } from "../../provider/model/kdd";
import { irregularFabric } from "../harness/fabric";
import { CRD, startKube, type TestKube } from "../harness/kube";
import { PULUMI_TEMPLATE_TSCONFIG, packedTarball, userProject } from "../harness/project";

/**
 * The irregular fabric of import.test.ts on the Kubernetes API datastore: its CRs as calicoctl
 * writes them (crBody, which test/interop/kdd.test.ts compares with calicoctl's byte for byte),
 * imported with the package's bin, compiled with tsc --strict, and taken into state by an up that
 * changes no CR; the next preview and refresh show nothing.
 */
const FABRIC = irregularFabric(1000);
let kube: TestKube;
let work: string;

async function resourceVersions(): Promise<string> {
  const r = await kube.call("GET", `${CRD}/bgppeers`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return JSON.stringify(r.body.items.map((i: any) => [i.metadata.name, i.metadata.resourceVersion]).sort());
}

before(async () => {
  kube = await startKube();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-import-kube-"));
  const [filter, ...peers] = FABRIC.docs;
  const f = await kube.call("POST", `${CRD}/bgpfilters`, { ...filter, apiVersion: "crd.projectcalico.org/v1" });
  assert.equal(f.status, 201, JSON.stringify(f.body));
  for (let i = 0; i < peers.length; i += 10) {
    await Promise.all(
      peers.slice(i, i + 10).map(async (d, j) => {
        const n = String(i + j).padStart(8, "0");
        const v3 = { ...d, metadata: { ...d.metadata, uid: `${n}-1111-4222-8333-444444444444`, creationTimestamp: "2021-01-01T00:00:00Z" } };
        const r = await kube.call("POST", `${CRD}/bgppeers`, JSON.parse(crBody(JSON.stringify(v3), CRD_GROUP_V1)));
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }),
    );
  }
});
after(async () => {
  await kube?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("calico-bgppeer import on the Kubernetes datastore", { concurrency: false }, () => {
  it(`imports ${FABRIC.peers} peers as RackPeers, BgpPeerSets and BgpPeers; the up changes no CR, and preview and refresh show nothing`, async (t) => {
    const p = userProject(work, "imported-kube", {
      dependencies: { "pulumi-calico-bgppeer": `file:${packedTarball()}`, "@pulumi/pulumi": "3.248.0", typescript: "5.9.3", "@types/node": "20.19.25" },
      files: { "tsconfig.json": JSON.stringify({ ...PULUMI_TEMPLATE_TSCONFIG, include: ["*.ts"] }, null, 2), "index.ts": 'import "./peers";\n' },
    });
    p.ok(["stack", "init", "dev"]);
    p.ok(["config", "set", "calico:datastoreType", "kubernetes"]);
    p.ok(["config", "set", "calico:kubeconfig", kube.kubeconfig]);
    const r = p.run("npx", ["--no-install", "calico-bgppeer", "import", "--out", "peers.ts"], { DATASTORE_TYPE: "kubernetes", KUBECONFIG: kube.kubeconfig });
    assert.equal(r.status, 0, r.stderr);
    const text = fs.readFileSync(path.join(p.dir, "peers.ts"), "utf8");
    assert.equal(text.match(/= new RackPeers\(/g)?.length, FABRIC.expect.racks);
    assert.equal(text.match(/= new BgpPeerSet\(/g)?.length, FABRIC.expect.sets);
    assert.equal(text.match(/= new BgpPeer\(/g)?.length, FABRIC.expect.singles);
    const tsc = p.run("npx", ["--no-install", "tsc", "--noEmit", "-p", "."]);
    assert.equal(tsc.status, 0, `tsc --strict:\n${tsc.stdout}${tsc.stderr}`);

    const before = await resourceVersions();
    const t0 = Date.now();
    p.ok(["up", "--yes"]);
    t.diagnostic(`first up: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(await resourceVersions(), before, "no CR changed");
    const resources = JSON.parse(p.ok(["stack", "export"])).deployment.resources;
    const sets = resources.filter((x: any) => x.type === "pulumi-nodejs:dynamic/calico:BgpPeerSet");
    const single = resources.filter((x: any) => x.type === "pulumi-nodejs:dynamic/calico:BgpPeer");
    assert.equal(sets.reduce((n: number, x: any) => n + Object.keys(x.outputs.peers).length, 0) + single.length, FABRIC.peers, "every peer in state");
    p.ok(["preview", "--expect-no-changes"]);
    p.ok(["refresh", "--yes", "--expect-no-changes"]);
    assert.equal(await resourceVersions(), before, "still no CR changed");
  });
});
