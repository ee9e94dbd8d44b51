import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { provider } from "../../provider";
import { InvalidInputError } from "../../provider/datastore/errors";
import { CRD, kubeForProvider, requestsDuring } from "../harness/kube";

/**
 * Kubernetes 1.36 enforces `format: int32` in CRD schemas (kubernetes/kubernetes#136582), and
 * Calico's CRDs declare asNumber and localASNumber int32: against a real kube-apiserver v1.36.3
 * with Calico v3.31's CRDs, the API server rejects a 4-byte ASN above 2^31-1, and BgpPeer refuses
 * it first, with its own message, without sending the write.
 */
const kube = kubeForProvider({ kubernetes: "v1.36.3" });

async function checked(news: Record<string, unknown>) {
  const r = await provider.check!({ name: news.name }, news);
  assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
  return r.inputs as Record<string, any>;
}

describe("4-byte ASNs on Kubernetes 1.36", () => {
  it("the API server itself rejects asNumber 4200000000 in Calico's CRD", async () => {
    assert.equal((await kube.call("GET", "/version")).body.gitVersion, "v1.36.3");
    const r = await kube.call("POST", `${CRD}/bgppeers`, {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "BGPPeer",
      metadata: { name: "raw-four-byte" },
      spec: { peerIP: "192.0.2.1", asNumber: 4200000000 },
    });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(r.body.message, /Checked value must be of type integer with format int32 in spec\.asNumber/);
  });

  it("BgpPeer refuses it before writing, naming the field, the value, the rule and the cluster's version", async () => {
    const inputs = await checked({ name: "four-byte", peerIP: "192.0.2.2", asNumber: "64086.59904", __owner: "p/s" });
    const { by } = await requestsDuring(() =>
      assert.rejects(provider.create(inputs as any), (e: Error) => {
        assert.ok(e instanceof InvalidInputError, e.message);
        assert.match(
          e.message,
          /^BGPPeer "four-byte": asNumber 4200000000 is above 2147483647\. Calico's CRD declares asNumber and localASNumber `format: int32`, and Kubernetes 1\.36 and later \(this cluster is v1\.36\.3\) enforce it, so the API server would reject the peer\. Nothing was written\./,
        );
        return true;
      }),
    );
    assert.equal(by["POST bgppeers"], undefined, "no write was sent");
    assert.equal((await kube.call("GET", `${CRD}/bgppeers/four-byte`)).status, 404);
  });

  it("2147483647, the largest int32, is stored; localASNumber above it is refused on update", async () => {
    const inputs = await checked({ name: "int32-max", peerIP: "192.0.2.3", asNumber: 2147483647, __owner: "p/s" });
    const made = await provider.create(inputs as any);
    assert.equal((await kube.call("GET", `${CRD}/bgppeers/int32-max`)).body.spec.asNumber, 2147483647);
    await assert.rejects(
      provider.update!("int32-max", made.outs, { ...inputs, localASNumber: 2147483648 } as any),
      /localASNumber 2147483648 is above 2147483647/,
    );
    assert.equal((await kube.call("GET", `${CRD}/bgppeers/int32-max`)).body.metadata.resourceVersion, made.outs.resourceVersion);
  });
});
