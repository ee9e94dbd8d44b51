import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { Range } from "etcd3";
import { provider } from "../../provider";
import { resolveConnection, resolveDatastore } from "../../provider/datastore/config";
import { AuthenticationFailedError, PermissionDeniedError, UnreachableError } from "../../provider/datastore/errors";
import { closeClient } from "../../provider/datastore/etcd/connection";
import { redact } from "../../provider/datastore/etcd/errors";
import { impl } from "../../provider/dynamic/peer-provider";
import { peerKey } from "../../provider/model/codec";
import { freePort, startEtcd, type TestEtcd } from "../harness/etcd";

const ENV_KEYS = [
  "ETCD_ENDPOINTS",
  "ETCD_USERNAME",
  "ETCD_PASSWORD",
  "ETCD_CA_CERT_FILE",
  "ETCD_CERT_FILE",
  "ETCD_KEY_FILE",
  "DATASTORE_TYPE",
  "CALICOCTL_CONFIG",
  "CALICO_ETCD_TIMEOUT",
];
function setEnv(vars: Record<string, string>) {
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, vars);
  closeClient();
}
async function createPeer(name: string) {
  const c = await provider.check!({}, { name, peerIP: "10.0.0.1", asNumber: 64512 });
  return provider.create(c.inputs);
}

describe("TLS with client certificates", () => {
  let etcd: TestEtcd;
  before(async () => (etcd = await startEtcd({ tls: true })));
  after(async () => {
    closeClient();
    await etcd?.stop();
  });
  it("creates and reads through ETCD_CA_CERT_FILE / ETCD_CERT_FILE / ETCD_KEY_FILE", async () => {
    setEnv({ ETCD_ENDPOINTS: etcd.endpoint, ETCD_CA_CERT_FILE: etcd.certs!.ca, ETCD_CERT_FILE: etcd.certs!.cert, ETCD_KEY_FILE: etcd.certs!.key });
    const r = await createPeer("tls-peer");
    assert.ok((await etcd.admin.get(peerKey("tls-peer")).string())?.includes('"peerIP":"10.0.0.1"'));
    assert.equal((await provider.read!("tls-peer", r.outs)).id, "tls-peer");
  });
  it("fails with the endpoints named when no client certificate is given", async () => {
    setEnv({ ETCD_ENDPOINTS: etcd.endpoint, ETCD_CA_CERT_FILE: etcd.certs!.ca, CALICO_ETCD_TIMEOUT: "2s" });
    await assert.rejects(
      provider.read!("tls-peer"),
      new RegExp(`read failed: cannot reach etcd ${etcd.endpoint.replace(/[.]/g, "\\.")} \\(from environment\\)`),
    );
  });
  it("reads calicoctl's config file when neither stack config nor environment name endpoints", async () => {
    const file = path.join(etcd.dataDir, "calicoctl.cfg");
    fs.writeFileSync(
      file,
      `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n  datastoreType: "etcdv3"\n  etcdEndpoints: "${etcd.endpoint}"\n  etcdCACertFile: "${etcd.certs!.ca}"\n  etcdCertFile: "${etcd.certs!.cert}"\n  etcdKeyFile: "${etcd.certs!.key}"\n`,
    );
    setEnv({ CALICOCTL_CONFIG: file });
    assert.equal((await provider.read!("tls-peer")).id, "tls-peer");
  });
});

describe("username and password", () => {
  const password = "s3cr3t-Pa55word";
  let etcd: TestEtcd;
  before(async () => (etcd = await startEtcd({ rootPassword: password })));
  after(async () => {
    closeClient();
    await etcd?.stop();
  });
  it("works from stack config (configure), which wins over the environment", async () => {
    setEnv({ ETCD_ENDPOINTS: "http://127.0.0.1:1" });
    await impl.configure({
      config: {
        get: (k: string) =>
          (({ "calico:etcdEndpoints": etcd.endpoint, "calico:etcdUsername": "root", "calico:etcdPassword": password }) as Record<string, string>)[k],
        require: () => "",
      },
    });
    try {
      await createPeer("auth-peer");
      assert.ok(await etcd.admin.get(peerKey("auth-peer")).string());
    } finally {
      await impl.configure({ config: { get: () => undefined, require: () => "" } });
    }
  });
  it("a wrong password is an authentication failure that says so, without printing the password", async () => {
    setEnv({ ETCD_ENDPOINTS: etcd.endpoint, ETCD_USERNAME: "root", ETCD_PASSWORD: "wrong-password-123" });
    await assert.rejects(provider.read!("auth-peer"), (e: Error) => {
      assert.ok(e instanceof AuthenticationFailedError, `${e.name}: ${e.message}`);
      assert.equal(e.name, "AuthenticationFailedError");
      assert.match(
        e.message,
        new RegExp(
          `^read failed: etcd ${etcd.endpoint.replace(/[.]/g, "\\.")} \\(from environment\\) refused the credentials of user "root": authentication failed\\. Check the username and password`,
        ),
      );
      assert.ok(!e.message.includes("wrong-password-123"), e.message);
      return true;
    });
  });
  it("a user whose role may only read gets a permission error naming the prefix it needs, and nothing is written", async () => {
    await etcd.admin.role("bgp-readonly").create();
    await etcd.admin.role("bgp-readonly").grant({ permission: "Read", range: Range.prefix("/calico/") });
    await etcd.admin.user("viewer").create("viewer-Pa55");
    await etcd.admin.user("viewer").addRole("bgp-readonly");
    setEnv({ ETCD_ENDPOINTS: etcd.endpoint, ETCD_USERNAME: "viewer", ETCD_PASSWORD: "viewer-Pa55" });
    assert.equal((await provider.read!("auth-peer")).id, "auth-peer", "reading is allowed");
    await assert.rejects(createPeer("denied-peer"), (e: Error) => {
      assert.ok(e instanceof PermissionDeniedError, `${e.name}: ${e.message}`);
      assert.match(
        e.message,
        /^create failed: etcd .* denied user "viewer" permission: its role needs read and write on the prefix \/calico\/resources\/v3\/projectcalico\.org\/bgppeers\//,
      );
      assert.ok(!e.message.includes("viewer-Pa55"));
      return true;
    });
    assert.equal(await etcd.admin.get(peerKey("denied-peer")).string(), null);
  });
});

describe("connection settings", () => {
  it("times out with the endpoints named, as an Unreachable error", async () => {
    const port = await freePort();
    setEnv({ ETCD_ENDPOINTS: `http://127.0.0.1:${port}`, CALICO_ETCD_TIMEOUT: "1s" });
    const started = Date.now();
    await assert.rejects(
      provider.read!("x"),
      (e: Error) =>
        e instanceof UnreachableError && new RegExp(`read failed: cannot reach etcd http://127\\.0\\.0\\.1:${port} \\(from environment\\)`).test(e.message),
    );
    assert.ok(Date.now() - started < 8000);
  });
  it("a preview where etcd is out of reach (a pull-request job without access) still checks new peers, without the read", async () => {
    const port = await freePort();
    setEnv({ ETCD_ENDPOINTS: `http://127.0.0.1:${port}`, CALICO_ETCD_TIMEOUT: "1s" });
    for (const name of ["a", "b"]) {
      const r = await provider.check!({}, { name, peerIP: "10.0.0.1", asNumber: 1 });
      assert.deepEqual(r.failures ?? [], []);
      assert.equal(r.inputs.name, name);
    }
    const bad = await provider.check!({}, { name: "c", peerIP: "10.0.0.300", asNumber: 1 });
    assert.match(bad.failures![0].reason, /^peerIP: "10\.0\.0\.300" is not a valid peer address/, "the rules still run");
  });
  it("redacts every occurrence of the password and of an inline key", () => {
    const settings = { source: "environment" as const, endpoints: ["http://e:2379"], timeoutMs: 1, password: "pw-1", key: "-----KEY-----" };
    assert.equal(redact("a pw-1 b pw-1 c -----KEY----- d", settings), "a *** b *** c *** d");
  });
  it("DATASTORE_TYPE=kubernetes turns to the Kubernetes datastore, and an unknown type is refused", () => {
    assert.throws(
      () => resolveDatastore({ env: { DATASTORE_TYPE: "kubernetes", KUBECONFIG: "/nonexistent/kubeconfig" } }),
      /cannot read kubeconfig \/nonexistent\/kubeconfig/,
    );
    assert.throws(() => resolveDatastore({ env: { DATASTORE_TYPE: "etcd" } }), /DATASTORE_TYPE is "etcd": Calico's datastores are "etcdv3" and "kubernetes"/);
  });
  it("takes stack config over environment over the calicoctl config file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-"));
    const file = path.join(dir, "calicoctl.cfg");
    fs.writeFileSync(file, "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdEndpoints: http://file:2379\n");
    const env = { ETCD_ENDPOINTS: "http://env:2379", CALICOCTL_CONFIG: file };
    assert.deepEqual(resolveConnection({ env, stack: (k) => (k === "calico:etcdEndpoints" ? "http://stack:2379" : undefined) }).endpoints, [
      "http://stack:2379",
    ]);
    assert.deepEqual(resolveConnection({ env }).endpoints, ["http://env:2379"]);
    assert.deepEqual(resolveConnection({ env: { CALICOCTL_CONFIG: file } }).endpoints, ["http://file:2379"]);
    assert.throws(() => resolveConnection({ env: { CALICOCTL_CONFIG: path.join(dir, "missing.cfg") } }), /does not exist/);
    fs.rmSync(dir, { recursive: true });
  });
});
