import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { CRD, startKube, type TestKube } from "../harness/kube";
import { PULUMI_TEMPLATE_TSCONFIG, packedTarball, type UserProject, userProject } from "../harness/project";

/**
 * The README's quickstart as a newcomer follows it: its program (the block marked
 * `<!-- quickstart:program -->`, as it stands), its config line for each datastore, `pulumi
 * preview --diff` and `pulumi up`, in a fresh project with the packed package, against a real etcd
 * and a real kube-apiserver.
 */
const ROOT = path.resolve(__dirname, "../../..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const PROGRAM = /<!-- quickstart:program -->\s*```ts\n([\s\S]*?)```/.exec(README)?.[1].replace(/^ {3}/gm, "");
const NAMES = [
  "rack1-host1.10-1-0-1",
  "rack1-host1.10-1-0-2",
  "rack1-host2.10-1-0-1",
  "rack1-host2.10-1-0-2",
  "rack1-host3.10-1-0-1",
  "rack1-host3.10-1-0-2",
  "rr-v6",
];
let etcd: TestEtcd;
let kube: TestKube;
let work: string;
let p: UserProject;

before(async () => {
  assert.ok(PROGRAM, "the README has the quickstart's program");
  [etcd, kube] = await Promise.all([startEtcd(), startKube()]);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-quickstart-"));
  p = userProject(work, "quickstart", {
    dependencies: { "pulumi-calico-bgppeer": `file:${packedTarball()}`, "@pulumi/pulumi": "3.248.0", typescript: "5.9.3", "@types/node": "20.19.25" },
    files: { "tsconfig.json": JSON.stringify(PULUMI_TEMPLATE_TSCONFIG, null, 2), "index.ts": PROGRAM },
  });
});
after(async () => {
  await Promise.all([etcd?.stop(), kube?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** preview --diff, then up: both say where the peers go; the up creates the rack and the reflector. */
function previewAndUp(where: RegExp, env: NodeJS.ProcessEnv = {}): void {
  // With --diff, the CLI writes the diagnostics to stderr.
  const preview = p.pulumi(["preview", "--diff"], env);
  assert.equal(preview.status, 0, `${preview.stdout}${preview.stderr}`);
  assert.match(preview.stderr, where, preview.stderr);
  assert.match(preview.stdout, /\+ 3 to create/, preview.stdout);
  const up = p.ok(["up", "--yes"], env);
  assert.match(up, where, up);
  assert.match(up, /\+ 3 created/, up);
  const again = p.pulumi(["preview", "--expect-no-changes", "--diff"], env);
  assert.equal(again.status, 0, `${again.stdout}${again.stderr}`);
}

describe("the README's quickstart", { concurrency: false }, () => {
  it("etcd: `pulumi config set calico:etcdEndpoints …`, preview --diff, up: the 7 peers are in etcd", async () => {
    p.ok(["stack", "init", "etcd"]);
    p.ok(["config", "set", "calico:etcdEndpoints", etcd.endpoint]);
    previewAndUp(new RegExp(`pulumi-calico-bgppeer: BGP peers in etcd ${etcd.endpoint} \\(from stack config\\)`));
    const kvs = await etcd.admin.getAll().prefix("/calico/resources/v3/projectcalico.org/bgppeers/").keys();
    assert.deepEqual(kvs.map((k) => k.split("/").pop()).sort(), NAMES);
  });

  it("Kubernetes: `pulumi config set calico:datastoreType kubernetes` and the kubeconfig: the 7 peers are CRs", async () => {
    p.ok(["stack", "init", "kube"]);
    p.ok(["config", "set", "calico:datastoreType", "kubernetes"]);
    previewAndUp(/pulumi-calico-bgppeer: BGP peers in the Kubernetes API server https:\/\/127\.0\.0\.1:\d+ \(context /, { KUBECONFIG: kube.kubeconfig });
    const r = await kube.call("GET", `${CRD}/bgppeers`);
    assert.deepEqual(r.body.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort(), NAMES);
  });
});
