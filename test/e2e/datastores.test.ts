import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { OWNER_ANNOTATION } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { startKube, type TestKube } from "../harness/kube";
import { type LocalStack, localStack, ROOT } from "../harness/pulumi";

/**
 * The example fabric (examples/fabric: RackPeers per rack plus BgpPeers) under the real Pulumi
 * CLI, once on etcd and once on the Kubernetes API datastore: the same program, the same peers.
 */
const fabric = require("../../examples/fabric/index") as () => Promise<Record<string, unknown>>;

let etcd: TestEtcd;
let kube: TestKube;
let onEtcd: LocalStack;
let onKube: LocalStack;

/** The peers as `calico-bgppeer get -o yaml` prints them, minus what each datastore and stack assign. */
function peersIn(env: Record<string, string>): any[] {
  const r = spawnSync(process.execPath, [path.join(ROOT, "dist/provider/cli/main.js"), "get", "bgppeers", "-o", "yaml"], {
    env: { PATH: process.env.PATH, HOME: kube.dir, ...env },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return parse(r.stdout).items.map((p: any) => {
    const { uid, resourceVersion, creationTimestamp, annotations, ...meta } = p.metadata;
    assert.match(annotations[OWNER_ANNOTATION], /^bgppeer-fabric-(etcd|kdd)\//);
    return { ...p, metadata: meta };
  });
}

before(async () => {
  [etcd, kube] = await Promise.all([startEtcd(), startKube()]);
  onEtcd = await localStack("fabric-etcd", fabric, { ETCD_ENDPOINTS: etcd.endpoint });
  onKube = await localStack("fabric-kdd", fabric, { DATASTORE_TYPE: "kubernetes", KUBECONFIG: kube.kubeconfig, ETCD_ENDPOINTS: "" });
});
after(async () => {
  await etcd?.stop();
  await kube?.stop();
  onEtcd?.cleanup();
  onKube?.cleanup();
});

describe("one program, both datastores", { concurrency: false }, () => {
  it("the example fabric makes the same 19 peers on etcd and on the Kubernetes datastore, and a second preview shows no changes on either", async () => {
    for (const ls of [onEtcd, onKube]) {
      const up = await ls.stack.up();
      assert.equal(up.summary.result, "succeeded");
      assert.equal(up.outputs.hostPeerCount.value, 16);
    }
    const a = peersIn({ ETCD_ENDPOINTS: etcd.endpoint });
    const b = peersIn({ DATASTORE_TYPE: "kubernetes", KUBECONFIG: kube.kubeconfig });
    assert.equal(a.length, 19);
    assert.deepEqual(b, a);
    for (const ls of [onEtcd, onKube]) assert.deepEqual((await ls.stack.preview()).changeSummary, { same: 7 });
  });

  it("destroy removes them from both", async () => {
    for (const ls of [onEtcd, onKube]) await ls.stack.destroy();
    assert.deepEqual(peersIn({ ETCD_ENDPOINTS: etcd.endpoint }), []);
    assert.deepEqual(peersIn({ DATASTORE_TYPE: "kubernetes", KUBECONFIG: kube.kubeconfig }), []);
  });
});
