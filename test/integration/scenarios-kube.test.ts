import assert from "node:assert/strict";
import { CRD, kubeForProvider } from "../harness/kube";
import { peerScenarios } from "../scenarios/peers";

/** The shared scenarios (test/scenarios/peers.ts) against a real kube-apiserver with Calico's CRDs. */
const kube = kubeForProvider();

peerScenarios({
  storeName: "the Kubernetes datastore",
  prefix: "kube",
  async createFilter(name) {
    const r = await kube.call("POST", `${CRD}/bgpfilters`, { apiVersion: "crd.projectcalico.org/v1", kind: "BGPFilter", metadata: { name }, spec: {} });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  },
});
