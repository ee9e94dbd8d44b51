import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { provider } from "../../provider";
import { UnsupportedFieldError } from "../../provider/datastore/errors";
import { CRD, kubeForProvider } from "../harness/kube";

/**
 * Calico versions on the Kubernetes datastore: the release a ClusterInformation CR declares, as
 * calico-node records it, against a real kube-apiserver with Calico's CRDs. v3.33.0 lowered the
 * selectors' limit to 1024 characters (the installed v3.31 CRDs still allow 4096, so only our
 * rule can stop a longer one for a v3.33 cluster).
 */
const kube = kubeForProvider();

function longSelector(n: number): string {
  let s = "has(x)";
  while (s.length < n) s += " && has(x)";
  return s;
}
async function checked(news: Record<string, unknown>) {
  const r = await provider.check!({ name: news.name }, news);
  assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
  return r.inputs as Record<string, unknown>;
}
async function peerVersions(): Promise<string> {
  const r = await kube.call("GET", `${CRD}/bgppeers`);
  return JSON.stringify(r.body.items.map((i: any) => [i.metadata.name, i.metadata.resourceVersion]));
}

describe("a cluster whose ClusterInformation declares Calico v3.33.0", { concurrency: false }, () => {
  it("refuses a selector longer than 1024 characters before any write, naming the source", async () => {
    const r = await kube.call("POST", `${CRD}/clusterinformations`, {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "ClusterInformation",
      metadata: { name: "default" },
      spec: { calicoVersion: "v3.33.0", clusterType: "k8s,bgp", datastoreReady: true },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const before = await peerVersions();
    await assert.rejects(
      provider.create(await checked({ name: "long-sel", nodeSelector: longSelector(1025), peerIP: "10.0.0.9", asNumber: 64512 })),
      (e: Error) => {
        assert.ok(e instanceof UnsupportedFieldError, e.name);
        assert.equal(e.datastore, undefined, "a rule of the release, not of a datastore");
        assert.match(
          e.message,
          /nodeSelector: .* is 1026 characters long: Calico v3\.33\.0 \(ClusterInformation in the Kubernetes datastore\) takes at most 1024/,
        );
        return true;
      },
    );
    assert.equal(await peerVersions(), before, "nothing written");
    const ok = await provider.create(await checked({ name: "sel-1024", nodeSelector: longSelector(1014), peerIP: "10.0.0.9", asNumber: 64512 }));
    assert.equal(ok.outs.nodeSelector, longSelector(1014));
  });

  it("a declared version wins: CALICO_VERSION v3.32.1 takes the 1026-character selector, which the v3.31 CRD stores", async () => {
    process.env.CALICO_VERSION = "v3.32.1";
    try {
      const made = await provider.create(await checked({ name: "long-sel", nodeSelector: longSelector(1025), peerIP: "10.0.0.9", asNumber: 64512 }));
      assert.equal(made.outs.nodeSelector.length, 1026);
    } finally {
      delete process.env.CALICO_VERSION;
    }
  });

  it("declared v3.33.0 refuses it at check", async () => {
    process.env.CALICO_VERSION = "v3.33.0";
    try {
      const r = await provider.check!({}, { name: "p", peerSelector: longSelector(1025) });
      assert.match(r.failures?.[0]?.reason ?? "", /^peerSelector: .* takes at most 1024/);
    } finally {
      delete process.env.CALICO_VERSION;
    }
  });
});
