import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { CRD_GROUP_V1, crBody } from "../../provider/model/kdd";
import { PEER_PREFIX, peerKey } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { CRD, startKube, type TestKube } from "../harness/kube";
import { packedTarball, type UserProject, userProject } from "../harness/project";
import { ROOT } from "../harness/pulumi";

/**
 * The native provider `calico` as a Pulumi YAML user runs it: the package installed from its
 * tarball into a YAML project (npm install beside @pulumi/pulumi), the plugin named in Pulumi.yaml,
 * and the plain CLI with pulumi-language-yaml v1.25.0 beside it. On etcd and on the Kubernetes
 * datastore: up, a no-op preview, preview --diff and --json (detailedDiff), drift and the
 * conflict, pulumi import of a calicoctl-made peer with the YAML it generates, destroy.
 */

interface Store {
  label: string;
  storeName: string;
  config: Record<string, string>;
  /** A peer written as calicoctl writes it. */
  put(name: string, v3: Record<string, unknown>): Promise<void>;
  /** Out of band: set spec.asNumber. */
  setAsn(name: string, asn: number): Promise<void>;
  spec(name: string): Promise<Record<string, unknown> | undefined>;
  /** Every peer's revision: equal means nothing was written. */
  revisions(): Promise<string>;
}

let etcd: TestEtcd;
let kube: TestKube;
let work: string;
const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version;

before(async () => {
  [etcd, kube] = await Promise.all([startEtcd(), startKube()]);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-native-"));
});
after(async () => {
  await Promise.all([etcd?.stop(), kube?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const etcdStore = (): Store => ({
  label: "etcd",
  storeName: "etcd",
  config: { "calico:etcdEndpoints": etcd.endpoint },
  async put(name, v3) {
    await etcd.admin.put(peerKey(name)).value(JSON.stringify(v3));
  },
  async setAsn(name, asn) {
    const o = JSON.parse((await etcd.admin.get(peerKey(name)).string())!);
    o.spec.asNumber = asn;
    await etcd.admin.put(peerKey(name)).value(JSON.stringify(o));
  },
  async spec(name) {
    const t = await etcd.admin.get(peerKey(name)).string();
    return t === null ? undefined : JSON.parse(t).spec;
  },
  async revisions() {
    const r = await etcd.admin.getAll().prefix(PEER_PREFIX).exec();
    return JSON.stringify(r.kvs.map((kv) => [kv.key.toString(), kv.mod_revision]));
  },
});

const kubeStore = (): Store => ({
  label: "kubernetes",
  storeName: "the Kubernetes datastore",
  config: { "calico:datastoreType": "kubernetes", "calico:kubeconfig": kube.kubeconfig },
  async put(_name, v3) {
    const r = await kube.call("POST", `${CRD}/bgppeers`, JSON.parse(crBody(JSON.stringify(v3), CRD_GROUP_V1)));
    assert.equal(r.status, 201, JSON.stringify(r.body));
  },
  async setAsn(name, asn) {
    const o = (await kube.call("GET", `${CRD}/bgppeers/${name}`)).body;
    o.spec.asNumber = asn;
    assert.equal((await kube.call("PUT", `${CRD}/bgppeers/${name}`, o)).status, 200);
  },
  async spec(name) {
    const r = await kube.call("GET", `${CRD}/bgppeers/${name}`);
    return r.status === 200 ? r.body.spec : undefined;
  },
  async revisions() {
    const r = await kube.call("GET", `${CRD}/bgppeers`);
    return JSON.stringify(r.body.items.map((i: any) => [i.metadata.name, i.metadata.resourceVersion]));
  },
});

function program(name: string, tor: Record<string, unknown>, extra = "", rackAsn = 65002): string {
  return `name: ${name}
runtime: yaml
description: BGP peers in Pulumi YAML, through the native provider
plugins:
  providers:
    - name: calico
      path: ./node_modules/pulumi-calico-bgppeer/plugin
resources:
  tor:
    type: calico:index:BgpPeer
    properties: ${JSON.stringify(tor)}
  rr:
    type: calico:index:BgpPeer
    properties:
      name: rr-v6
      peerIP: "2001:db8::1"
      asNumber: "64512.1"
  rack2:
    type: calico:index:BgpPeerSet
    properties:
      peers:
        - { scope: node, node: rack2-host1, peerIP: 10.2.0.1, asNumber: ${rackAsn} }
        - { scope: node, node: rack2-host2, peerIP: 10.2.0.1, asNumber: 65002 }
${extra}outputs:
  torUid: \${tor.uid}
`;
}

for (const make of [etcdStore, kubeStore]) {
  describe(`a Pulumi YAML program on ${make === etcdStore ? "etcd" : "the Kubernetes datastore"}`, { concurrency: false }, () => {
    let s: Store;
    let p: UserProject;
    const tor = { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 64512, labels: { team: "net" } };

    it("installs from the tarball and runs up", async () => {
      s = make();
      const name = `native-${s.label}`;
      p = userProject(work, name, { dependencies: { "@pulumi/pulumi": sdk, "pulumi-calico-bgppeer": packedTarball() }, files: {} });
      p.write("Pulumi.yaml", program(name, tor));
      assert.ok(fs.statSync(path.join(p.dir, "node_modules/pulumi-calico-bgppeer/plugin/pulumi-resource-calico")).mode & 0o100, "the plugin is executable");
      p.ok(["stack", "init", "dev"]);
      for (const [k, v] of Object.entries(s.config)) p.ok(["config", "set", k, v]);
      const up = p.ok(["up", "--yes"]);
      assert.match(up, /\+ 4 created/);
      // The provider says where the peers go, once, among the run's diagnostics.
      assert.match(
        up,
        /pulumi-calico-bgppeer: BGP peers in (etcd http:\/\/127\.0\.0\.1:\d+ \(from stack config\)|the Kubernetes API server https:\/\/127\.0\.0\.1:\d+ \()/,
      );
      assert.equal((await s.spec("rack2-host2.10-2-0-1"))!.node, "rack2-host2", "the set's peers are written");
      assert.match(p.ok(["stack", "output", "torUid"]), /^[0-9a-f-]{36}\n$/);
    });

    it("a second preview shows no changes and writes nothing", async () => {
      const rev = await s.revisions();
      p.ok(["preview", "--expect-no-changes"]);
      assert.equal(await s.revisions(), rev);
    });

    it("preview --diff names the field, and preview --json carries detailedDiff and diffReasons", async () => {
      p.write("Pulumi.yaml", program(`native-${s.label}`, { ...tor, asNumber: 64513, labels: { team: "net", "example.com/rack": "r1" } }, "", 65003));
      assert.match(p.ok(["preview", "--diff"]), /~ asNumber\s*: 64512 => 64513/);
      const steps = JSON.parse(p.ok(["preview", "--json"])).steps as any[];
      const step = steps.find((x) => x.urn.endsWith("::tor"));
      assert.equal(step.op, "update");
      assert.deepEqual(step.detailedDiff, {
        asNumber: { kind: "update", inputDiff: true },
        'labels["example.com/rack"]': { kind: "add", inputDiff: true },
      });
      assert.deepEqual(step.diffReasons, ["asNumber", "labels"]);
      // A set's change is one peer's field, not the whole peers list.
      const rack = steps.find((x) => x.urn.endsWith("::rack2"));
      assert.deepEqual(rack.detailedDiff, { 'peers["rack2-host1.10-2-0-1"].asNumber': { kind: "update", inputDiff: true } });
      assert.deepEqual(rack.diffReasons, ["peers"]);
      p.ok(["up", "--yes"]);
      assert.equal((await s.spec("tor"))!.asNumber, 64513);
      assert.equal((await s.spec("rack2-host1.10-2-0-1"))!.asNumber, 65003);
    });

    it("drift shows in preview --refresh; an up over it is refused with nothing written; refresh, then up restores", async () => {
      await s.setAsn("tor", 65099);
      assert.match(p.ok(["preview", "--refresh", "--diff"]), /asNumber\s*: 65099 => 64513/);
      p.write("Pulumi.yaml", program(`native-${s.label}`, { ...tor, asNumber: 64513, ttlSecurity: 2 }, "", 65003));
      const rev = await s.revisions();
      const r = p.pulumi(["up", "--yes"]);
      assert.notEqual(r.status, 0);
      assert.match(
        r.stdout + r.stderr,
        new RegExp(`BGPPeer "tor" was changed outside Pulumi: ${s.storeName} has resourceVersion \\d+, state has \\d+\\. Nothing was written\\.`),
      );
      assert.equal(await s.revisions(), rev);
      p.ok(["refresh", "--yes"]);
      p.ok(["up", "--yes"]);
      const spec = (await s.spec("tor"))!;
      assert.equal(spec.asNumber, 64513);
      assert.equal(spec.ttlSecurity, 2);
    });

    it("pulumi import takes a calicoctl-made peer with no write, and the YAML it generates is a no-op", async () => {
      await s.put("legacy-peer", {
        kind: "BGPPeer",
        apiVersion: "projectcalico.org/v3",
        metadata: { name: "legacy-peer", uid: "aaaaaaaa-1111-4222-8333-444444444444", creationTimestamp: "2021-01-01T00:00:00Z", labels: { rack: "r9" } },
        spec: { node: "rack9-host1", peerIP: "10.9.0.1", asNumber: 4227858441, numAllowedLocalASNumbers: 0 },
      });
      const rev = await s.revisions();
      const gen = path.join(p.dir, "imported.yaml");
      p.ok(["import", "calico:index:BgpPeer", "legacy", "legacy-peer", "--yes", "--protect=false", "--out", gen]);
      assert.equal(await s.revisions(), rev, "the import wrote nothing");
      const code = fs.readFileSync(gen, "utf8");
      assert.match(code, /legacy:\n {4}type: calico:BgpPeer\n {4}properties:\n/);
      assert.match(code, /asNumber: '4227858441'/);
      assert.match(code, /numAllowedLocalASNumbers: 0/);
      assert.match(code, /rack: r9/);
      p.write("Pulumi.yaml", program(`native-${s.label}`, { ...tor, asNumber: 64513, ttlSecurity: 2 }, code.replace(/^resources:\n/, ""), 65003));
      p.ok(["preview", "--expect-no-changes"]);
      assert.equal(await s.revisions(), rev);
    });

    it("destroy deletes every peer of the stack, the imported one too", async () => {
      p.ok(["destroy", "--yes"]);
      for (const n of ["tor", "rr-v6", "legacy-peer", "rack2-host1.10-2-0-1", "rack2-host2.10-2-0-1"]) assert.equal(await s.spec(n), undefined, n);
    });
  });
}
