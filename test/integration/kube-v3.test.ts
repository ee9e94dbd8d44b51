import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { provider } from "../../provider";
import { ConflictError, DatastoreError } from "../../provider/datastore/errors";
import { kubeForProvider, requestsDuring } from "../harness/kube";

/**
 * A cluster that serves Calico v3.32's native projectcalico.org/v3 CRDs (tech preview) and not
 * crd.projectcalico.org: BGPPeers are stored as they are, with no metadata annotation and no uid
 * conversion, and the group is found by discovery as libcalico-go v3.32 finds it.
 *
 * The CRDs here are written from v3.32's api/config/crd/projectcalico.org_bgppeers.yaml as the KDD
 * reference records it (scope, version, required fields, the int32 ASNs, enums and three of its
 * CEL rules): the Go module proxy here does not serve the calico module at v3.32, so the file
 * itself cannot be installed.
 */
const kube = kubeForProvider({ calicoCrds: false });
const V3 = "/apis/projectcalico.org/v3";

function crd(plural: string, kind: string, spec: Record<string, unknown>) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.projectcalico.org` },
    spec: {
      group: "projectcalico.org",
      names: { kind, listKind: `${kind}List`, plural, singular: plural.replace(/s$/, "") },
      scope: "Cluster",
      versions: [{ name: "v3", served: true, storage: true, subresources: {}, schema: { openAPIV3Schema: spec } }],
    },
  };
}

const str = { type: "string" };
const PEER_SCHEMA = {
  type: "object",
  required: ["metadata", "spec"],
  properties: {
    apiVersion: str,
    kind: str,
    metadata: { type: "object" },
    spec: {
      type: "object",
      properties: {
        node: { type: "string", maxLength: 253 },
        nodeSelector: { type: "string", maxLength: 4096 },
        peerIP: { type: "string", maxLength: 64 },
        asNumber: { type: "integer", format: "int32" },
        localASNumber: { type: "integer", format: "int32" },
        peerSelector: { type: "string", maxLength: 4096 },
        keepOriginalNextHop: { type: "boolean" },
        nextHopMode: { type: "string", enum: ["Auto", "Self", "Keep"] },
        password: {
          type: "object",
          properties: {
            secretKeyRef: { type: "object", required: ["key"], properties: { key: str, name: { type: "string", default: "" }, optional: { type: "boolean" } } },
          },
        },
        sourceAddress: { type: "string", enum: ["UseNodeIP", "None"] },
        maxRestartTime: str,
        keepaliveTime: str,
        numAllowedLocalASNumbers: { type: "integer", format: "int32" },
        ttlSecurity: { type: "integer" },
        reachableBy: str,
        filters: { type: "array", items: str },
        localWorkloadSelector: str,
        reversePeering: { type: "string", enum: ["Auto", "Manual"] },
      },
      "x-kubernetes-validations": [
        {
          message: "node and nodeSelector cannot both be set",
          reason: "FieldValueForbidden",
          rule: "(!has(self.node) || size(self.node) == 0) || (!has(self.nodeSelector) || size(self.nodeSelector) == 0)",
        },
        {
          message: "peerIP and peerSelector cannot both be set",
          reason: "FieldValueForbidden",
          rule: "(!has(self.peerIP) || size(self.peerIP) == 0) || (!has(self.peerSelector) || size(self.peerSelector) == 0)",
        },
        {
          message: "asNumber must be empty when peerSelector is set",
          reason: "FieldValueForbidden",
          rule: "(!has(self.peerSelector) || size(self.peerSelector) == 0) || (!has(self.asNumber) || self.asNumber == 0)",
        },
      ],
    },
  },
};

async function obj(name: string) {
  const r = await kube.call("GET", `${V3}/bgppeers/${name}`);
  return r.status === 200 ? r.body : undefined;
}

describe("native projectcalico.org/v3 CRDs", () => {
  before(async () => {
    for (const c of [
      crd("bgppeers", "BGPPeer", PEER_SCHEMA),
      crd("bgpfilters", "BGPFilter", { type: "object", "x-kubernetes-preserve-unknown-fields": true }),
    ]) {
      const r = await kube.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", c);
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    for (;;) {
      if ((await kube.call("GET", `${V3}/bgppeers`)).status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it("discovery picks the v3 group; the peer is stored as it is, labels and annotations on the object, the server's uid as Calico's", async () => {
    const c = await provider.check!(
      { name: "v3-peer" },
      {
        name: "v3-peer",
        node: "node-1",
        peerIP: "192.0.2.1",
        asNumber: "1.10",
        labels: { rack: "r1" },
        annotations: { "example.com/owner": "netops" },
        __owner: "proj/v3",
      },
    );
    const { result: made, by } = await requestsDuring(() => provider.create(c.inputs as any));
    assert.deepEqual(by, { "GET /apis": 1, "POST bgppeers": 1 });
    const o = await obj("v3-peer");
    assert.equal(o.apiVersion, "projectcalico.org/v3");
    assert.deepEqual(o.metadata.labels, { rack: "r1" });
    assert.deepEqual(o.metadata.annotations, { "example.com/owner": "netops", "pulumi-calico-bgppeer/stack": "proj/v3" });
    assert.deepEqual(o.spec, { asNumber: 65546, node: "node-1", peerIP: "192.0.2.1" });
    assert.equal(made.outs.uid, o.metadata.uid, "no uid conversion in the v3 group");
    assert.equal(made.outs.creationTimestamp, o.metadata.creationTimestamp, "the server's creationTimestamp");
    assert.equal(made.outs.resourceVersion, o.metadata.resourceVersion);

    const read = await provider.read!("v3-peer", made.outs);
    assert.deepEqual(read.props, made.outs);
    const updated = await provider.update!("v3-peer", made.outs, { ...(c.inputs as any), asNumber: 65547 });
    assert.equal((await obj("v3-peer")).spec.asNumber, 65547);
    assert.equal(updated.outs.uid, made.outs.uid);
    await assert.rejects(provider.update!("v3-peer", made.outs, { ...(c.inputs as any), asNumber: 65548 }), ConflictError);
    await provider.delete!("v3-peer", updated.outs);
    assert.equal(await obj("v3-peer"), undefined);
  });

  it("a peer written by a v3.32 client is adopted with no write, keeping its uid", async () => {
    const r = await kube.call("POST", `${V3}/bgppeers`, {
      apiVersion: "projectcalico.org/v3",
      kind: "BGPPeer",
      metadata: { name: "by-calicoctl", labels: { rack: "r2" } },
      spec: { peerIP: "192.0.2.2", asNumber: 65002, keepaliveTime: "30s" },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const c = await provider.check!(
      { name: "by-calicoctl" },
      {
        name: "by-calicoctl",
        peerIP: "192.0.2.2",
        asNumber: 65002,
        keepaliveTime: "30s",
        labels: { rack: "r2" },
        adopt: true,
      },
    );
    const adopted = await provider.create(c.inputs as any);
    assert.equal((await obj("by-calicoctl")).metadata.resourceVersion, r.body.metadata.resourceVersion, "no write");
    assert.equal(adopted.outs.uid, r.body.metadata.uid);
    assert.equal(adopted.outs.keepaliveTime, "30s");
    assert.equal(adopted.outs.preserved, undefined);
  });

  it("a group the cluster does not serve (calicoAPIGroup crd.projectcalico.org/v1 here) is a clear error", async () => {
    process.env.CALICO_API_GROUP = "crd.projectcalico.org/v1";
    try {
      await assert.rejects(
        provider.read!("v3-peer", { name: "v3-peer" } as any),
        (e: Error) =>
          e instanceof DatastoreError &&
          /does not serve bgppeers in crd\.projectcalico\.org\/v1: Calico's CRDs are not installed there, or calicoAPIGroup names a group the cluster does not serve/.test(
            e.message,
          ),
      );
    } finally {
      delete process.env.CALICO_API_GROUP;
    }
  });
});
