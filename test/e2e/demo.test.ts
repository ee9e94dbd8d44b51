import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PEER_PREFIX } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { CRD, startKube, type TestKube } from "../harness/kube";
import { ROOT } from "../harness/pulumi";

/**
 * `npm run demo` in a shell set up for calicoctl against a real cluster: every variable that could
 * choose a datastore points at "the user's" etcd and Kubernetes API server, and the demo, run from
 * a copy of the repository, must write only to the local store it starts; with `--use-env` it
 * writes where the environment points, and says so first.
 */
let real: TestEtcd;
let realKube: TestKube;
let copy: string;

/** A shell configured for a real cluster: calicoctl's variables, a calicoctl.cfg, a kubeconfig. */
function hostileEnv(): NodeJS.ProcessEnv {
  const cfg = path.join(copy, "..", "calicoctl.cfg");
  fs.writeFileSync(
    cfg,
    `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${real.endpoint}\n`,
  );
  return {
    ...process.env,
    DATASTORE_TYPE: "kubernetes",
    CALICO_DATASTORE_TYPE: "kubernetes",
    KUBECONFIG: realKube.kubeconfig,
    CALICO_KUBECONFIG: realKube.kubeconfig,
    ETCD_ENDPOINTS: real.endpoint,
    CALICO_ETCD_ENDPOINTS: real.endpoint,
    CALICOCTL_CONFIG: cfg,
    PULUMI_CONFIG_PASSPHRASE: "demo",
  };
}

function demo(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [path.join(copy, "scripts/demo.js"), ...args], { cwd: copy, env, encoding: "utf8", maxBuffer: 1 << 26 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function realPeers(): Promise<{ etcd: number; kube: number }> {
  const kube = await realKube.call("GET", `${CRD}/bgppeers`);
  return { etcd: (await real.admin.getAll().prefix(PEER_PREFIX).keys()).length, kube: kube.body.items.length };
}

before(async () => {
  [real, realKube] = await Promise.all([startEtcd(), startKube()]);
  // The repository as a user clones it (tracked files), with this checkout's node_modules.
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-demo-"));
  copy = path.join(parent, "repo");
  for (const f of execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean)) {
    if (!fs.existsSync(path.join(ROOT, f))) continue;
    fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(copy, f));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
});
after(async () => {
  await Promise.all([real?.stop(), realKube?.stop()]);
  if (copy) fs.rmSync(path.dirname(copy), { recursive: true, force: true });
});

describe("npm run demo under a hostile environment", { concurrency: false }, () => {
  it("writes its 19 peers to the local etcd it starts, and nothing to the cluster the environment names", async () => {
    const r = demo([], hostileEnv());
    assert.equal(r.status, 0, r.out);
    const ignored = /local demo: ignoring (.*) \(npm run demo -- --use-env uses them\)/.exec(r.out)?.[1].split(", ") ?? [];
    for (const k of [
      "CALICOCTL_CONFIG",
      "CALICO_DATASTORE_TYPE",
      "CALICO_ETCD_ENDPOINTS",
      "CALICO_KUBECONFIG",
      "DATASTORE_TYPE",
      "ETCD_ENDPOINTS",
      "KUBECONFIG",
    ])
      assert.ok(ignored.includes(k), `${k} ignored: ${r.out}`);
    const local = /started a local etcd at (http:\/\/127\.0\.0\.1:\d+) \(data in \.demo\/etcd\)/.exec(r.out)?.[1];
    assert.ok(local, r.out);
    // The program says where the peers go, among the stack's diagnostics, before they are written.
    const said = r.out.indexOf(`pulumi-calico-bgppeer: BGP peers in etcd ${local} (from environment)`);
    assert.ok(said >= 0 && said < r.out.indexOf("+ 7 created"), r.out);
    assert.match(r.out, /\+ 7 created/);
    assert.equal((r.out.match(/^(r\d-host\d\.\S+|rr-\S+)\s/gm) ?? []).length, 19, `the 19 peers, listed from the local etcd: ${r.out}`);
    assert.deepEqual(await realPeers(), { etcd: 0, kube: 0 });
  });

  it("on the Kubernetes datastore too: a local kube-apiserver, nothing written to the named cluster", async () => {
    const r = demo(["--datastore", "kubernetes"], hostileEnv());
    assert.equal(r.status, 0, r.out);
    const server = /started a local Kubernetes API server v1\.\d+\.\d+ at (https:\/\/127\.0\.0\.1:\d+)/.exec(r.out)?.[1];
    assert.ok(server, r.out);
    assert.ok(r.out.includes(`pulumi-calico-bgppeer: BGP peers in the Kubernetes API server ${server} (`), r.out);
    assert.deepEqual(await realPeers(), { etcd: 0, kube: 0 });
  });

  it("refuses a demo stack whose config names a datastore", async () => {
    const config = path.join(copy, ".demo", "Pulumi.demo.yaml");
    const before = fs.existsSync(config) ? fs.readFileSync(config, "utf8") : "";
    fs.writeFileSync(config, `${before}config:\n  calico:etcdEndpoints: ${real.endpoint}\n`);
    const r = demo(["preview"], hostileEnv());
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /\.demo\/Pulumi\.demo\.yaml sets calico:\* keys, which would win over the local datastore/);
    fs.writeFileSync(config, before);
    assert.deepEqual(await realPeers(), { etcd: 0, kube: 0 });
  });

  it("with --use-env, writes where the environment points, and prints it first", async () => {
    const env = hostileEnv();
    for (const k of ["DATASTORE_TYPE", "CALICO_DATASTORE_TYPE", "KUBECONFIG", "CALICO_KUBECONFIG", "CALICO_ETCD_ENDPOINTS"]) delete env[k];
    // A fresh start ("delete .demo/ to start over"): the stack of the local runs knows the local etcd's peers.
    fs.rmSync(path.join(copy, ".demo"), { recursive: true, force: true });
    const r = demo(["--use-env"], env);
    assert.equal(r.status, 0, r.out);
    const target = r.out.indexOf(`--use-env: the demo writes to etcd ${real.endpoint} (from environment)`);
    assert.ok(target >= 0 && target < r.out.indexOf("$ pulumi up --yes"), r.out);
    assert.deepEqual(await realPeers(), { etcd: 19, kube: 0 });
    assert.equal(demo(["--use-env", "destroy", "--yes"], env).status, 0);
    assert.deepEqual(await realPeers(), { etcd: 0, kube: 0 });
  });
});
