import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { provider } from "../../provider";
import type { SetOutputs } from "../../provider/core/set";
import { FilterMissingError, PermissionDeniedError, UnsupportedFieldError } from "../../provider/datastore/errors";
import { closeBackends } from "../../provider/datastore/select";
import { impl as setImpl } from "../../provider/dynamic/set-provider";
import { convertUID, METADATA_ANNOTATION } from "../../provider/model/kdd";
import { CRD, kubeForProvider, requestsDuring } from "../harness/kube";

/**
 * The Kubernetes API datastore against a real kube-apiserver 1.34 (etcd 3.5 behind it) with
 * Calico v3.31's CRDs: every create, read, update and delete path, the objects as calicoctl v3.31
 * writes them, the requests each operation sends, and RBAC.
 */
const kube = kubeForProvider();

async function checked(news: Record<string, unknown>) {
  const r = await provider.check!({ name: news.name }, news);
  assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
  return r.inputs as Record<string, any>;
}
async function cr(name: string) {
  const r = await kube.call("GET", `${CRD}/bgppeers/${name}`);
  return r.status === 200 ? r.body : undefined;
}
/** A CR as calicoctl v3.31 creates it (§1.5 of the KDD reference), through the API as calicoctl sends it. */
async function calicoctlStyle(name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) {
  const meta = JSON.stringify({ creationTimestamp: "2026-11-22T14:21:23Z", labels, annotations: Object.keys(annotations).length ? annotations : undefined });
  const r = await kube.call("POST", `${CRD}/bgppeers`, {
    kind: "BGPPeer",
    apiVersion: "crd.projectcalico.org/v1",
    metadata: { name, creationTimestamp: null, annotations: { [METADATA_ANNOTATION]: meta } },
    spec,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

describe("Kubernetes datastore: create", () => {
  it("POSTs the object calicoctl v3.31 writes, in one request: group, metadata annotation, Calico-owned labels on the CR, uid mapping", async () => {
    const inputs = await checked({
      name: "rack1-tor",
      node: "node-1",
      peerIP: "192.0.2.1",
      asNumber: "0.64512",
      labels: { rack: "rack1", "projectcalico.org/example": "yes" },
      annotations: { "example.com/owner": "netops" },
      __owner: "proj/kube",
    });
    const { result: res, by } = await requestsDuring(() => provider.create(inputs as any));
    // The first operation of a process also discovers Calico's API group, once (GET /apis).
    assert.deepEqual(by, { "GET /apis": 1, "POST bgppeers": 1 });
    const o = await cr("rack1-tor");
    assert.equal(o.apiVersion, "crd.projectcalico.org/v1");
    assert.deepEqual(o.metadata.labels, { "projectcalico.org/example": "yes" }, "only Calico-owned labels are the CR's own");
    assert.deepEqual(Object.keys(o.metadata.annotations), [METADATA_ANNOTATION]);
    const meta = o.metadata.annotations[METADATA_ANNOTATION];
    assert.match(
      meta,
      /^\{"creationTimestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","labels":\{"projectcalico\.org\/example":"yes","rack":"rack1"\},"annotations":\{"example\.com\/owner":"netops","pulumi-calico-bgppeer\/stack":"proj\/kube"\}\}$/,
      "the annotation is Go's encoding of {creationTimestamp, labels, annotations}",
    );
    assert.deepEqual(o.spec, { asNumber: 64512, node: "node-1", peerIP: "192.0.2.1" });
    assert.equal(res.outs.uid, convertUID(o.metadata.uid), "the v3 uid is the CR's, bit-reversed, as Calico shows it");
    assert.equal(res.outs.resourceVersion, o.metadata.resourceVersion);
    assert.equal(res.id, "rack1-tor");
  });

  it("a calicoctl-made peer is adopted with no write; adopting with a change is one PUT that keeps uid and creationTimestamp", async () => {
    const made = await calicoctlStyle("calicoctl-made", { node: "node-2", peerIP: "192.0.2.2", asNumber: 65001 }, { rack: "r2" }, { note: "by hand" });
    const { result: same, by } = await requestsDuring(async () =>
      provider.create(
        (await checked({ name: "calicoctl-made", node: "node-2", peerIP: "192.0.2.2", asNumber: 65001, labels: { rack: "r2" }, adopt: true })) as any,
      ),
    );
    assert.equal((await cr("calicoctl-made")).metadata.resourceVersion, made.metadata.resourceVersion, "no write");
    assert.equal(by["PUT bgppeers"], undefined);
    assert.equal(same.outs.uid, convertUID(made.metadata.uid));
    assert.equal(same.outs.creationTimestamp, "2026-11-22T14:21:23Z");
    assert.equal(same.outs.preserved.metadata.annotations.note, "by hand");
    const inputs = await checked({ name: "calicoctl-made", node: "node-2", peerIP: "192.0.2.2", asNumber: 65002, labels: { rack: "r2" }, adopt: true });
    const changed = await provider.create(inputs as any);
    const after = await cr("calicoctl-made");
    assert.equal(after.spec.asNumber, 65002);
    assert.equal(after.metadata.uid, made.metadata.uid, "same object");
    const inner = JSON.parse(after.metadata.annotations[METADATA_ANNOTATION]);
    assert.equal(inner.creationTimestamp, "2026-11-22T14:21:23Z");
    assert.equal(inner.annotations.note, "by hand", "annotations it does not manage survive");
    assert.equal(changed.outs.resourceVersion, after.metadata.resourceVersion);
  });

  it("a peer naming a BGPFilter that does not exist is refused after one LIST of BGPFilters; with the filter, it is created", async () => {
    const inputs = await checked({ name: "filtered", peerIP: "192.0.2.3", asNumber: 65003, filters: ["f1"] });
    await assert.rejects(
      provider.create(inputs as any),
      (e: Error) => e instanceof FilterMissingError && /BGPFilter "f1" not found in the Kubernetes datastore/.test(e.message),
    );
    assert.equal(await cr("filtered"), undefined);
    const f = await kube.call("POST", `${CRD}/bgpfilters`, { apiVersion: "crd.projectcalico.org/v1", kind: "BGPFilter", metadata: { name: "f1" }, spec: {} });
    assert.equal(f.status, 201, JSON.stringify(f.body));
    const { by } = await requestsDuring(() => provider.create(inputs as any));
    assert.deepEqual(by, { "GET bgpfilters": 1, "POST bgppeers": 1 });
    assert.deepEqual((await cr("filtered")).spec.filters, ["f1"]);
  });

  it("4-byte ASNs above 2^31-1 are stored as given on Kubernetes 1.34, which does not enforce format: int32", async () => {
    const inputs = await checked({ name: "four-byte", peerIP: "192.0.2.4", asNumber: "64086.59904", localASNumber: 4200000001 });
    const { by } = await requestsDuring(() => provider.create(inputs as any));
    assert.deepEqual(by, { "GET /version": 1, "POST bgppeers": 1 }, "the server version is read once, for the int32 rule");
    const o = await cr("four-byte");
    assert.equal(o.spec.asNumber, 4200000000);
    assert.equal(o.spec.localASNumber, 4200000001);
  });
});

describe("Kubernetes datastore: read", () => {
  it("a GET, shown as Calico shows it; gone is an empty read", async () => {
    const { result, by } = await requestsDuring(() => provider.read!("rack1-tor", { name: "rack1-tor", labels: { rack: "rack1" } } as any));
    assert.deepEqual(by, { "GET bgppeers": 1 });
    assert.equal(result.props!.asNumber, 64512);
    assert.deepEqual(result.props!.labels, { rack: "rack1" });
    const gone = await provider.read!("no-such-peer", { name: "no-such-peer" } as any);
    assert.equal(gone.id, "");
  });

  it("a CR written with kubectl (no metadata annotation) reads with the CR's own metadata", async () => {
    const r = await kube.call("POST", `${CRD}/bgppeers`, {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "BGPPeer",
      metadata: { name: "kubectl-made", labels: { team: "net" } },
      spec: { peerIP: "192.0.2.5", asNumber: 65005 },
    });
    assert.equal(r.status, 201);
    const res = await provider.read!("kubectl-made", { name: "kubectl-made", labels: { team: "net" } } as any);
    assert.deepEqual(res.props!.labels, { team: "net" });
    assert.equal(res.props!.creationTimestamp, r.body.metadata.creationTimestamp);
    assert.equal(res.props!.uid, convertUID(r.body.metadata.uid));
  });

  it("a CR whose metadata annotation is not JSON is an error naming the peer and the reason", async () => {
    await kube.call("POST", `${CRD}/bgppeers`, {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "BGPPeer",
      metadata: { name: "broken", annotations: { [METADATA_ANNOTATION]: "{not json" } },
      spec: { peerIP: "192.0.2.6", asNumber: 65006 },
    });
    await assert.rejects(provider.read!("broken", { name: "broken" } as any), /broken.*projectcalico\.org\/metadata annotation is not JSON/s);
  });
});

describe("Kubernetes datastore: update", () => {
  it("one PUT with the resourceVersion state recorded (conflicts: test/scenarios/peers.ts)", async () => {
    const inputs = await checked({ name: "upd", node: "n1", peerIP: "192.0.2.7", asNumber: 65007, labels: { a: "1" } });
    const created = await provider.create(inputs as any);
    const { result: updated, by } = await requestsDuring(() => provider.update!("upd", created.outs, { ...inputs, asNumber: 65008 } as any));
    assert.deepEqual(by, { "PUT bgppeers": 1 });
    const o = await cr("upd");
    assert.equal(o.spec.asNumber, 65008);
    assert.equal(updated.outs.resourceVersion, o.metadata.resourceVersion);
    assert.equal(updated.outs.uid, created.outs.uid, "in place");
  });
});

describe("Kubernetes datastore: a field the cluster's CRD does not have", () => {
  // The v3.31 CRD has no keepaliveTime (Calico v3.32). The API server would drop it and answer
  // 201, as it does for calicoctl; asked to be strict, it refuses, and so do we.
  const refusal = (op: string) => (e: Error) => {
    assert.ok(e instanceof UnsupportedFieldError, String(e));
    assert.deepEqual([e.peer, e.operation, e.written], ["ka", op, "nothing"]);
    assert.match(
      e.message,
      /^BGPPeer "ka": keepaliveTime: is not in the BGPPeer CRD of the Kubernetes API server https:\/\/127\.0\.0\.1:\d+ \(.*\) \(Calico added it in v3\.32\.0; the cluster's CRDs are older\), and the API server would drop it\. Nothing was written\. Install the CRDs of a Calico release that has keepaliveTime, or leave it out\.$/,
    );
    return true;
  };

  it("a create is refused, naming the field and the release that added it, and nothing is written", async () => {
    await assert.rejects(
      provider.create((await checked({ name: "ka", peerIP: "192.0.2.9", asNumber: 65009, keepaliveTime: "30s" })) as any),
      refusal("create"),
    );
    assert.equal(await cr("ka"), undefined);
  });

  it("an update that adds it is refused, and the CR stays as it was", async () => {
    const inputs = await checked({ name: "ka", peerIP: "192.0.2.9", asNumber: 65009 });
    const created = await provider.create(inputs as any);
    const before = await cr("ka");
    await assert.rejects(provider.update!("ka", created.outs, { ...inputs, keepaliveTime: "30s" } as any), refusal("update"));
    assert.deepEqual(await cr("ka"), before);
  });
});

describe("Kubernetes datastore: delete", () => {
  it("one DELETE with uid and resourceVersion preconditions; gone already is fine", async () => {
    const inputs = await checked({ name: "del", peerIP: "192.0.2.8", asNumber: 65008 });
    const created = await provider.create(inputs as any);
    const { by } = await requestsDuring(() => provider.delete!("del", created.outs));
    assert.deepEqual(by, { "DELETE bgppeers": 1 });
    assert.equal(await cr("del"), undefined);
    await provider.delete!("del", created.outs);
    // Re-created and edited peers: test/scenarios/peers.ts, on both datastores.
  });
});

describe("Kubernetes datastore: a set of peers", () => {
  it("creates, reads and updates 40 peers with one request per peer written, and one LIST to read them", async () => {
    const peers: Record<string, any> = {};
    for (let i = 0; i < 40; i++) peers[`set-host${i}.10-9-0-1`] = { node: `set-host${i}`, peerIP: "10.9.0.1", asNumber: 65100 };
    const c = await setImpl.check({}, { name: "rack9", peers, __owner: "proj/stack" });
    assert.deepEqual(c.failures ?? [], []);
    const { result: made, by } = await requestsDuring(() => setImpl.create(c.inputs as any));
    assert.deepEqual(by, { "GET bgppeers": 1, "POST bgppeers": 40 }, "one LIST, then a POST per peer");
    const outs = made.outs as SetOutputs;
    const first = await cr("set-host0.10-9-0-1");
    assert.equal(outs.stored["set-host0.10-9-0-1"].uid, convertUID(first.metadata.uid), "state holds the uid the server assigned");
    const { result: read, by: readBy } = await requestsDuring(() => setImpl.read!("rack9", outs));
    assert.deepEqual(readBy, { "GET bgppeers": 1 });
    assert.deepEqual(read.props, outs);
    const changed = structuredClone(c.inputs as any);
    for (let i = 0; i < 5; i++) changed.peers[`set-host${i}.10-9-0-1`].asNumber = 65101;
    const { by: updBy } = await requestsDuring(() => setImpl.update!("rack9", outs, changed));
    assert.deepEqual(updBy, { "GET bgppeers": 1, "PUT bgppeers": 5 });
    assert.equal((await cr("set-host4.10-9-0-1")).spec.asNumber, 65101);
    assert.equal((await cr("set-host5.10-9-0-1")).spec.asNumber, 65100);
  });
});

describe("Kubernetes datastore: RBAC", () => {
  it("a ClusterRole with bgppeers verbs and bgpfilters get/list is enough; without it, a clear 403 error", async () => {
    const role = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "bgppeer-writer" },
      rules: [
        { apiGroups: ["crd.projectcalico.org"], resources: ["bgppeers"], verbs: ["get", "list", "create", "update", "delete"] },
        { apiGroups: ["crd.projectcalico.org"], resources: ["bgpfilters"], verbs: ["get", "list"] },
      ],
    };
    assert.equal((await kube.call("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", role)).status, 201);
    const binding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "bgppeer-writer" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "bgppeer-writer" },
      subjects: [{ kind: "User", name: "bgp-writer", apiGroup: "rbac.authorization.k8s.io" }],
    };
    assert.equal((await kube.call("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding)).status, 201);
    const admin = process.env.KUBECONFIG;
    try {
      closeBackends();
      process.env.KUBECONFIG = kube.kubeconfigFor("bgp-writer");
      // RBAC takes effect asynchronously in the authorizer's cache.
      const inputs = await checked({ name: "rbac-peer", peerIP: "192.0.2.9", asNumber: 65009, filters: ["f1"] });
      let created: any;
      for (let i = 0; i < 50 && !created; i++) {
        created = await provider.create(inputs as any).catch((e) => {
          if (!(e instanceof PermissionDeniedError)) throw e;
          return new Promise((r) => setTimeout(() => r(undefined), 100));
        });
      }
      assert.ok(created, "created as bgp-writer");
      const updated = await provider.update!("rbac-peer", created.outs, { ...inputs, asNumber: 65010 } as any);
      assert.equal((await provider.read!("rbac-peer", updated.outs)).props!.asNumber, 65010);
      await provider.delete!("rbac-peer", updated.outs);
      assert.equal(await cr("rbac-peer"), undefined);

      closeBackends();
      process.env.KUBECONFIG = kube.kubeconfigFor("nobody");
      await assert.rejects(provider.create(inputs as any), (e: Error) => {
        assert.ok(e instanceof PermissionDeniedError, e.message);
        assert.match(e.message, /403 Forbidden/);
        assert.match(e.message, /User "nobody" cannot list resource "bgpfilters"|User "nobody" cannot (get|list|create) resource "bgp/);
        assert.match(e.message, /get, list, create, update and delete on bgppeers, and get and list on bgpfilters/);
        assert.ok(!e.message.includes(kube.tokens.nobody), "no token in the message");
        return true;
      });
      assert.equal(await cr("rbac-peer"), undefined);
    } finally {
      closeBackends();
      process.env.KUBECONFIG = admin;
    }
  });
});

describe("Kubernetes datastore: exec credential plugins", () => {
  it("a kubeconfig's exec plugin supplies the token; a plugin that fails is named, and nothing is written", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-exec-"));
    const plugin = (name: string, script: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
      return file;
    };
    const ok = plugin("ok.sh", `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${kube.tokens.admin}"}}'`);
    const bad = plugin("bad.sh", "echo 'the SSO session expired' >&2; exit 4");
    const kubeconfig = (command: string) => {
      const file = path.join(dir, `kc-${path.basename(command)}`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: "c", cluster: { server: kube.server, "certificate-authority": kube.caFile } }],
          users: [{ name: "u", user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command, interactiveMode: "Never" } } }],
          contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
          "current-context": "c",
        }),
      );
      return file;
    };
    const admin = process.env.KUBECONFIG;
    try {
      closeBackends();
      process.env.KUBECONFIG = kubeconfig(ok);
      const inputs = await checked({ name: "exec-peer", peerIP: "192.0.2.10", asNumber: 65010 });
      const made = await provider.create(inputs as any);
      assert.ok(await cr("exec-peer"));
      await provider.delete!("exec-peer", made.outs);
      closeBackends();
      process.env.KUBECONFIG = kubeconfig(bad);
      await assert.rejects(provider.create(inputs as any), (e: Error) => {
        assert.match(e.message, /the kubeconfig's exec credential plugin ".*bad\.sh" failed \(exit 4\): the SSO session expired/);
        assert.doesNotMatch(e.message, /cannot reach/);
        return true;
      });
      assert.equal(await cr("exec-peer"), undefined);
    } finally {
      closeBackends();
      process.env.KUBECONFIG = admin;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
