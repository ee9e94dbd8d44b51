import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { resolveDatastore } from "../../provider/datastore/config";
import { execCredentials } from "../../provider/datastore/kube/kubeconfig";
import { encodeValue } from "../../provider/model/codec";
import { CRD_GROUP_V1, CRD_GROUP_V3, convertUID, crBody, enforcesInt32, int32Overflows, viewOfCR } from "../../provider/model/kdd";

/** The pair captured from calicoctl v3.31 and the apiserver (KDD reference, §1.3 and §1.4). */
const CR_UID = "8757ada9-27df-4bda-88c1-5709f5e386ee";
const V3_UID = "e1eab595-e4fb-4b5b-8883-ea90afc76177";

describe("ConvertUID", () => {
  it("matches Calico's captured pair, both ways, and is its own inverse", () => {
    assert.equal(convertUID(CR_UID), V3_UID);
    assert.equal(convertUID(V3_UID), CR_UID);
    for (let i = 0; i < 50; i++) {
      const u = crypto.randomUUID();
      assert.equal(convertUID(convertUID(u)), u);
      assert.equal(convertUID(u).slice(14, 15), u.slice(14, 15), "the version nibble stays");
    }
    assert.throws(() => convertUID("not-a-uuid"), /failed to parse UID for resource: not-a-uuid/);
  });
});

describe("the custom resource calicoctl v3.31 writes", () => {
  const value = encodeValue({
    name: "rack1-tor",
    uid: convertUID("1b267b20-8787-4c7c-87c3-a28a5aac5294"),
    creationTimestamp: "2026-11-22T14:21:23Z",
    labels: { rack: "rack1", "projectcalico.org/example": "yes" },
    annotations: { "example.com/owner": "netops" },
    spec: { node: "node-1", peerIP: "192.0.2.1", asNumber: 64512 },
  });

  it("a create is byte for byte the captured POST body (§1.5)", () => {
    assert.equal(
      crBody(value, CRD_GROUP_V1),
      '{"kind":"BGPPeer","apiVersion":"crd.projectcalico.org/v1","metadata":{"name":"rack1-tor","uid":"1b267b20-8787-4c7c-87c3-a28a5aac5294","creationTimestamp":null,"labels":{"projectcalico.org/example":"yes"},"annotations":{"projectcalico.org/metadata":"{\\"creationTimestamp\\":\\"2026-11-22T14:21:23Z\\",\\"labels\\":{\\"projectcalico.org/example\\":\\"yes\\",\\"rack\\":\\"rack1\\"},\\"annotations\\":{\\"example.com/owner\\":\\"netops\\"}}"}},"spec":{"node":"node-1","peerIP":"192.0.2.1","asNumber":64512}}',
    );
  });

  it("an update carries resourceVersion and the CR uid; without Calico-owned labels the CR has none", () => {
    const plain = encodeValue({
      name: "p",
      uid: V3_UID,
      creationTimestamp: "2026-11-22T14:21:23Z",
      labels: { a: "b" },
      spec: { peerIP: "192.0.2.1", asNumber: 1 },
    });
    const body = JSON.parse(crBody(plain, CRD_GROUP_V1, "103"));
    assert.deepEqual(Object.keys(body.metadata), ["name", "uid", "resourceVersion", "creationTimestamp", "annotations"]);
    assert.equal(body.metadata.uid, CR_UID);
    assert.equal(body.metadata.resourceVersion, "103");
  });

  it("reads back as Calico shows it: the annotation's metadata, the converted uid, labels merged (annotation wins)", () => {
    const cr = {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "BGPPeer",
      metadata: {
        name: "rack1-tor",
        uid: CR_UID,
        resourceVersion: "103",
        generation: 1,
        creationTimestamp: "2026-11-22T14:21:24Z",
        labels: { "projectcalico.org/example": "no", "kubectl-added": "x" },
        annotations: {
          "projectcalico.org/metadata":
            '{"creationTimestamp":"2026-11-22T14:21:23Z","labels":{"projectcalico.org/example":"yes","rack":"rack1"},"annotations":{"example.com/owner":"netops"}}',
        },
        managedFields: [{ manager: "calicoctl" }],
      },
      // The apiserver returns custom resources with sorted keys.
      spec: { asNumber: 64512, node: "node-1", peerIP: "192.0.2.1" },
    };
    const v = viewOfCR(cr, CRD_GROUP_V1);
    assert.equal(v.resourceVersion, "103");
    assert.equal(
      v.value,
      '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"rack1-tor","uid":"e1eab595-e4fb-4b5b-8883-ea90afc76177","creationTimestamp":"2026-11-22T14:21:23Z","labels":{"kubectl-added":"x","projectcalico.org/example":"yes","rack":"rack1"},"annotations":{"example.com/owner":"netops"}},"spec":{"node":"node-1","peerIP":"192.0.2.1","asNumber":64512}}',
    );
  });

  it("what we write reads back as the value we wrote, but for the uid the server assigns", () => {
    const body = JSON.parse(crBody(value, CRD_GROUP_V1));
    const served = { ...body, metadata: { ...body.metadata, uid: CR_UID, resourceVersion: "7", creationTimestamp: "2026-11-29T00:00:00Z", generation: 1 } };
    const back = viewOfCR(served, CRD_GROUP_V1).value;
    assert.equal(back, value.replace(convertUID("1b267b20-8787-4c7c-87c3-a28a5aac5294"), V3_UID));
  });

  it("native projectcalico.org/v3 CRDs (Calico v3.32) hold the object as it is: no annotation, no uid conversion", () => {
    const body = JSON.parse(crBody(value, CRD_GROUP_V3));
    assert.equal(body.apiVersion, "projectcalico.org/v3");
    assert.equal(body.metadata.uid, undefined, "the server assigns it at create");
    assert.deepEqual(body.metadata.labels, { "projectcalico.org/example": "yes", rack: "rack1" });
    const served = { ...body, metadata: { ...body.metadata, uid: V3_UID, resourceVersion: "9", generation: 2 } };
    assert.equal(viewOfCR(served, CRD_GROUP_V3).value, value.replace(convertUID("1b267b20-8787-4c7c-87c3-a28a5aac5294"), V3_UID));
  });

  it("a broken metadata annotation is unreadable, with the reason", () => {
    assert.throws(
      () => viewOfCR({ metadata: { name: "x", annotations: { "projectcalico.org/metadata": "{" } }, spec: {} }, CRD_GROUP_V1),
      /annotation is not JSON/,
    );
  });
});

describe("format: int32 on asNumber", () => {
  it("is enforced from Kubernetes 1.36 (kubernetes/kubernetes#136582)", () => {
    assert.equal(enforcesInt32(1, 34), false);
    assert.equal(enforcesInt32(1, 35), false);
    assert.equal(enforcesInt32(1, 36), true);
    assert.equal(enforcesInt32(2, 0), true);
    assert.deepEqual(int32Overflows({ asNumber: 2147483647, localASNumber: 2147483648 }), [["localASNumber", 2147483648]]);
  });
});

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kdd-unit-"));
}

function kubeconfig(server: string, opts: { context?: string; user?: Record<string, unknown>; name?: string } = {}): string {
  const n = opts.name ?? "c";
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: n, cluster: { server, "certificate-authority-data": Buffer.from("CA").toString("base64") } }],
    users: [{ name: n, user: opts.user ?? { token: "t" } }],
    contexts: [{ name: n, context: { cluster: n, user: n } }],
    "current-context": opts.context ?? n,
  });
}

describe("choosing the Kubernetes datastore and connecting to it", () => {
  it("takes the type from stack config, DATASTORE_TYPE or calicoctl's file, and defaults to etcdv3", () => {
    const dir = tmp();
    const kc = path.join(dir, "kc");
    fs.writeFileSync(kc, kubeconfig("https://k:6443"));
    const stack = (m: Record<string, string>) => (k: string) => m[k];
    const d1 = resolveDatastore({ env: {}, stack: stack({ "calico:datastoreType": "kubernetes", "calico:kubeconfig": kc }) });
    assert.equal(d1.type, "kubernetes");
    assert.equal(d1.type === "kubernetes" && d1.kube.server, "https://k:6443");
    const d2 = resolveDatastore({ env: { DATASTORE_TYPE: "kubernetes", KUBECONFIG: kc } });
    assert.equal(d2.type === "kubernetes" && d2.kube.source, "environment");
    const cfg = path.join(dir, "calicoctl.cfg");
    fs.writeFileSync(cfg, `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: kubernetes\n  kubeconfig: ${kc}\n`);
    const d3 = resolveDatastore({ env: { CALICOCTL_CONFIG: cfg, K8S_API_ENDPOINT: "https://ignored:1" } });
    assert.equal(d3.type === "kubernetes" && d3.kube.server, "https://k:6443", "with a file, calicoctl's env vars are not read");
    assert.equal(resolveDatastore({ env: {} }).type, "etcdv3");
    // As calicoctl's envconfig: CALICO_<name> first, for etcd's variables too.
    const e = resolveDatastore({ env: { CALICO_ETCD_ENDPOINTS: "http://a:2379", ETCD_ENDPOINTS: "http://b:2379", CALICO_ETCD_USERNAME: "u" } });
    assert.ok(e.type === "etcdv3" && e.etcd.source === "environment");
    assert.deepEqual([e.etcd.endpoints, e.etcd.username], [["http://a:2379"], "u"]);
    assert.equal(
      resolveDatastore({ env: { DATASTORE_TYPE: "kubernetes", KUBECONFIG: kc }, stack: stack({ "calico:etcdEndpoints": "http://e:2379" }) }).type,
      "etcdv3",
    );
    assert.throws(() => resolveDatastore({ env: { DATASTORE_TYPE: "kdd" } }), /DATASTORE_TYPE is "kdd": Calico's datastores are "etcdv3" and "kubernetes"/);
    fs.rmSync(dir, { recursive: true });
  });

  it("merges a KUBECONFIG list as client-go does: the first file to set a name or current-context wins, missing files are skipped", () => {
    const dir = tmp();
    const a = path.join(dir, "a");
    const b = path.join(dir, "b");
    fs.writeFileSync(a, kubeconfig("https://first:6443"));
    fs.writeFileSync(b, kubeconfig("https://second:6443", { context: "other" }));
    const d = resolveDatastore({ env: { DATASTORE_TYPE: "kubernetes", KUBECONFIG: [path.join(dir, "missing"), a, b].join(path.delimiter) } });
    assert.equal(d.type === "kubernetes" && d.kube.server, "https://first:6443");
    assert.equal(d.type === "kubernetes" && d.kube.context, "c");
    assert.throws(
      () => resolveDatastore({ env: { DATASTORE_TYPE: "kubernetes", KUBECONFIG: [path.join(dir, "x"), path.join(dir, "y")].join(path.delimiter) } }),
      /none of the kubeconfig files/,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it("applies calicoctl's overrides, and refuses K8S_API_TOKEN, which calicoctl ignores", () => {
    const dir = tmp();
    const kc = path.join(dir, "kc");
    fs.writeFileSync(kc, kubeconfig("https://k:6443"));
    const ca = path.join(dir, "ca.crt");
    fs.writeFileSync(ca, "MYCA");
    const d = resolveDatastore({
      env: {
        DATASTORE_TYPE: "kubernetes",
        KUBECONFIG: kc,
        K8S_API_ENDPOINT: "https://other:443",
        K8S_CA_FILE: ca,
        CALICO_K8SAPITOKEN: "tok",
        K8S_INSECURE_SKIP_TLS_VERIFY: "true",
      },
    });
    assert.ok(d.type === "kubernetes");
    assert.equal(d.kube.server, "https://other:443");
    assert.equal(d.kube.ca?.toString(), "MYCA");
    assert.equal(d.kube.token, "tok");
    assert.equal(d.kube.insecure, true);
    assert.throws(
      () => resolveDatastore({ env: { DATASTORE_TYPE: "kubernetes", KUBECONFIG: kc, K8S_API_TOKEN: "secret-tok" } }),
      (e: Error) => /K8S_API_TOKEN is set, but calicoctl ignores it/.test(e.message) && !e.message.includes("secret-tok"),
    );
    assert.throws(() => resolveDatastore({ env: { DATASTORE_TYPE: "kubernetes", KUBECONFIG: kc, K8S_CURRENT_CONTEXT: "nope" } }), /has no context "nope"/);
    fs.rmSync(dir, { recursive: true });
  });

  it("runs an exec credential plugin as kubectl does, and names it when it fails", () => {
    const dir = tmp();
    const plugin = path.join(dir, "plugin.sh");
    fs.writeFileSync(
      plugin,
      '#!/bin/sh\necho "{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"$MY_TOKEN\\"}}"\n',
      {
        mode: 0o755,
      },
    );
    const creds = execCredentials(
      { command: plugin, args: [], env: [{ name: "MY_TOKEN", value: "from-plugin" }], apiVersion: "client.authentication.k8s.io/v1", dir },
      5000,
    );
    assert.equal(creds.token, "from-plugin");
    const failing = path.join(dir, "fail.sh");
    fs.writeFileSync(failing, "#!/bin/sh\necho 'login expired' >&2\nexit 3\n", { mode: 0o755 });
    assert.throws(
      () => execCredentials({ command: failing, args: [], env: [], apiVersion: "client.authentication.k8s.io/v1", dir }, 5000),
      /exec credential plugin ".*fail\.sh" failed \(exit 3\): login expired/,
    );
    fs.rmSync(dir, { recursive: true });
  });
});
