import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { CRD_GROUP_V1, crBody } from "../../provider/model/kdd";
import { PEER_PREFIX, peerKey } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { CRD, startKube, type TestKube } from "../harness/kube";
import { packedTarball, userProject } from "../harness/project";
import { ROOT } from "../harness/pulumi";

/**
 * A whole fabric into a stack the Pulumi way: 1,000 calicoctl-made peers, `calico-bgppeer import
 * --pulumi-import-file` writes the file `pulumi import --file` takes, the CLI imports them through
 * the native provider with no write, and the YAML it generates, made the program, previews with
 * no changes. On etcd and on the Kubernetes datastore.
 */
const PEERS = 1000;
let etcd: TestEtcd;
let kube: TestKube;
let work: string;
const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version;

before(async () => {
  [etcd, kube] = await Promise.all([startEtcd(), startKube()]);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-native-import-"));
});
after(async () => {
  await Promise.all([etcd?.stop(), kube?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Peer i of the fabric, as calicoctl creates it: 50 racks of 10 hosts, two ToRs each, every tenth with labels. */
function peer(i: number): Record<string, unknown> {
  const rack = Math.floor(i / 20) + 1;
  const host = (Math.floor(i / 2) % 10) + 1;
  const tor = `10.${rack}.0.${(i % 2) + 1}`;
  const name = `rack${rack}-host${host}.${tor.replaceAll(".", "-")}`;
  return {
    kind: "BGPPeer",
    apiVersion: "projectcalico.org/v3",
    metadata: {
      name,
      uid: `0000${String(i).padStart(4, "0")}-1111-4222-8333-444444444444`,
      creationTimestamp: "2021-01-01T00:00:00Z",
      ...(i % 10 ? {} : { labels: { rack: `r${rack}` } }),
    },
    spec: { node: `rack${rack}-host${host}`, peerIP: tor, asNumber: 65000 + rack },
  };
}

const stores = {
  etcd: {
    env: () => ({ ETCD_ENDPOINTS: etcd.endpoint }),
    config: () => ({ "calico:etcdEndpoints": etcd.endpoint }),
    async create() {
      for (let i = 0; i < PEERS; i += 100) {
        const batch = etcd.admin.if(peerKey("nothing"), "Version", "==", 0);
        await batch
          .then(...Array.from({ length: 100 }, (_, j) => etcd.admin.put(peerKey((peer(i + j).metadata as any).name)).value(JSON.stringify(peer(i + j)))))
          .commit();
      }
    },
    async revisions() {
      const r = await etcd.admin.getAll().prefix(PEER_PREFIX).exec();
      return { count: r.kvs.length, text: JSON.stringify(r.kvs.map((kv) => [kv.key.toString(), kv.mod_revision])) };
    },
  },
  kubernetes: {
    env: () => ({ DATASTORE_TYPE: "kubernetes", KUBECONFIG: kube.kubeconfig }),
    config: () => ({ "calico:datastoreType": "kubernetes", "calico:kubeconfig": kube.kubeconfig }),
    async create() {
      for (let i = 0; i < PEERS; i += 10) {
        await Promise.all(
          Array.from({ length: 10 }, async (_, j) => {
            const r = await kube.call("POST", `${CRD}/bgppeers`, JSON.parse(crBody(JSON.stringify(peer(i + j)), CRD_GROUP_V1)));
            assert.equal(r.status, 201, JSON.stringify(r.body));
          }),
        );
      }
    },
    async revisions() {
      const r = await kube.call("GET", `${CRD}/bgppeers`);
      return { count: r.body.items.length, text: JSON.stringify(r.body.items.map((i: any) => [i.metadata.name, i.metadata.resourceVersion])) };
    },
  },
};

for (const [label, s] of Object.entries(stores)) {
  describe(`pulumi import of ${PEERS} peers on ${label}`, { concurrency: false }, () => {
    it("imports them with no write, and the generated program previews with no changes", async () => {
      await s.create();
      const before = await s.revisions();
      assert.equal(before.count, PEERS);
      const name = `import-${label}`;
      const p = userProject(work, name, { dependencies: { "@pulumi/pulumi": sdk, "pulumi-calico-bgppeer": packedTarball() }, files: {} });
      const header = `name: ${name}\nruntime: yaml\nplugins:\n  providers:\n    - name: calico\n      path: ./node_modules/pulumi-calico-bgppeer/plugin\n`;
      p.write("Pulumi.yaml", header);
      p.ok(["stack", "init", "dev"]);
      for (const [k, v] of Object.entries(s.config())) p.ok(["config", "set", k, v]);

      const file = path.join(p.dir, "import.json");
      const cli = p.run("npx", ["--no-install", "calico-bgppeer", "import", "--pulumi-import-file", "--out", file], s.env());
      assert.equal(cli.status, 0, cli.stderr);
      const spec = JSON.parse(fs.readFileSync(file, "utf8"));
      assert.equal(spec.resources.length, PEERS);
      assert.deepEqual(spec.resources[0], { type: "calico:index:BgpPeer", name: spec.resources[0].id, id: spec.resources[0].id });

      const code = path.join(p.dir, "imported.yaml");
      p.ok(["import", "--file", file, "--yes", "--protect=false", "--out", code]);
      assert.equal((await s.revisions()).text, before.text, "the import wrote nothing");
      const generated = fs.readFileSync(code, "utf8");
      assert.equal(generated.match(/type: calico:BgpPeer/g)?.length, PEERS);
      assert.match(generated, /rack: r1\n/);

      p.write("Pulumi.yaml", `${header}${generated}`);
      p.ok(["preview", "--expect-no-changes"]);
      assert.equal((await s.revisions()).text, before.text);
    });
  });
}
