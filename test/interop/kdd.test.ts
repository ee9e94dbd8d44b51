import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { METADATA_ANNOTATION } from "../../provider/model/kdd";
import { calicoctlForKube } from "../harness/calicoctl";
import { CRD, startKube, type TestKube } from "../harness/kube";
import { interopSuite } from "../scenarios/interop";
import { asInput, nameOf, OURS } from "./peers";

/**
 * The Kubernetes datastore end to end: the real Pulumi CLI (Automation API, local backend) and the
 * real calicoctl v3.31 in KDD mode, on one kube-apiserver 1.34 with Calico's CRDs. The shared
 * scenarios (test/scenarios/interop.ts), then what is this datastore's own: the custom resource
 * byte for byte as calicoctl writes it.
 */
let kube: TestKube;

async function cr(name: string): Promise<any> {
  const r = await kube.call("GET", `${CRD}/bgppeers/${name}`);
  return r.status === 200 ? r.body : undefined;
}

const s = interopSuite({
  stack: "kdd",
  storeName: "the Kubernetes datastore",
  async start() {
    kube = await startKube();
    return { env: { DATASTORE_TYPE: "kubernetes", KUBECONFIG: kube.kubeconfig, ETCD_ENDPOINTS: "" }, ctl: calicoctlForKube(kube.kubeconfig) };
  },
  async stop() {
    await kube?.stop();
  },
  async stored(name) {
    const o = await cr(name);
    if (!o) return undefined;
    assert.equal(o.apiVersion, "crd.projectcalico.org/v1");
    // Calico keeps the v3 labels and annotations in its metadata annotation.
    const inner = JSON.parse(o.metadata.annotations[METADATA_ANNOTATION]);
    return { spec: o.spec, metadata: { ...o.metadata, labels: inner.labels, annotations: inner.annotations } };
  },
  /** Every BGPPeer CR's resourceVersion. */
  async revisions() {
    const r = await kube.call("GET", `${CRD}/bgppeers`);
    return JSON.stringify(r.body.items.map((i: any) => [i.metadata.name, i.metadata.resourceVersion]));
  },
});

s.oursToCalicoctl();

describe("the Kubernetes datastore's own: the custom resource byte for byte", { concurrency: false }, () => {
  it("what we write is byte for byte the custom resource calicoctl writes for the same peer", async () => {
    const strip = (o: any, name: string) => {
      const meta = { ...o.metadata, name };
      for (const k of ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"]) delete meta[k];
      const inner = JSON.parse(meta.annotations[METADATA_ANNOTATION]);
      delete inner.creationTimestamp;
      meta.annotations = { ...meta.annotations, [METADATA_ANNOTATION]: inner };
      return JSON.stringify({ ...o, metadata: meta });
    };
    for (const res of Object.keys(OURS)) {
      const name = nameOf(res);
      const twin = `cc-${name}`.slice(0, 253);
      s.ctl.ok(["create", "-f", "-"], asInput(s.ctl.getPeer(name), twin));
      const theirs = await cr(twin);
      const mine = await cr(name);
      assert.equal(strip(mine, name), strip(theirs, name), `${name}: our custom resource differs from calicoctl's`);
      // The metadata annotation's text too, but for the creationTimestamp each write takes.
      const ts = (o: any) => JSON.parse(o.metadata.annotations[METADATA_ANNOTATION]).creationTimestamp;
      assert.equal(
        mine.metadata.annotations[METADATA_ANNOTATION].replace(ts(mine), "T"),
        theirs.metadata.annotations[METADATA_ANNOTATION].replace(ts(theirs), "T"),
      );
      s.ctl.ok(["delete", "bgppeer", twin]);
    }
  });
});

s.calicoctlToOurs();
