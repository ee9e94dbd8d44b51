// A local Kubernetes API server with Calico's CRDs, for the Kubernetes-datastore demo
// (scripts/demo.js --datastore kubernetes) and tests (test/harness/kube.ts): etcd 3.5 and
// kube-apiserver built from Go modules (scripts/tools.js), on free loopback ports, with token
// authentication, RBAC, a temporary directory, and a kubeconfig for an admin.
"use strict";
const { spawn } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const https = require("node:https");
const os = require("node:os");
const path = require("node:path");
const { freePort, spawnEtcd } = require("./etcd");
const tools = require("./tools");

/** Users the token file defines: an admin (system:masters) and users with no rights until a test binds a role. */
const USERS = ["admin", "bgp-writer", "bgp-reader", "nobody"];

/** One request; a keep-alive connection the server closed while idle is retried once on a new one. */
async function request(server, ca, token, method, p, body) {
  try {
    return await attempt(server, ca, token, method, p, body);
  } catch (e) {
    if (!e.reusedSocket || (e.code !== "ECONNRESET" && e.code !== "EPIPE")) throw e;
    return attempt(server, ca, token, method, p, body);
  }
}

function attempt(server, ca, token, method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      `${server}${p}`,
      {
        method,
        ca,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "application/json",
          ...(data ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } : {}),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          let body = {};
          try {
            body = text ? JSON.parse(text) : {};
          } catch {
            body = { text };
          }
          resolve({ status: res.statusCode, body });
        });
      },
    );
    req.on("error", (e) => reject(Object.assign(e, { reusedSocket: req.reusedSocket })));
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${p} timed out`)));
    if (data) req.write(data);
    req.end();
  });
}

/**
 * Starts etcd 3.5 and kube-apiserver, installs Calico's CRDs (all crd.projectcalico.org ones at
 * the pinned calico version; none with calicoCrds: false), and returns the server, an admin kubeconfig, the users' tokens, a
 * request helper and stop().
 */
async function startKube({ dir, calicoCrds = true, kubernetes } = {}) {
  const bins = tools.ensureKube(kubernetes);
  const root = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-kube-"));
  const etcd = await spawnEtcd({ name: "kube", dataDir: path.join(root, "etcd"), binary: bins.etcd, extraArgs: ["--unsafe-no-fsync"] });
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  fs.writeFileSync(path.join(root, "sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }));
  fs.writeFileSync(path.join(root, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
  const tokens = Object.fromEntries(USERS.map((u) => [u, crypto.randomBytes(16).toString("hex")]));
  fs.writeFileSync(path.join(root, "tokens.csv"), `${USERS.map((u) => `${tokens[u]},${u},uid-${u}${u === "admin" ? ',"system:masters"' : ""}`).join("\n")}\n`, {
    mode: 0o600,
  });
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const proc = spawn(
    bins.apiserver,
    [
      `--etcd-servers=${etcd.endpoint}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      "--advertise-address=127.0.0.1",
      `--cert-dir=${path.join(root, "serving")}`,
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${path.join(root, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(root, "sa.key")}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      "--authorization-mode=RBAC",
      `--token-auth-file=${path.join(root, "tokens.csv")}`,
      "--disable-admission-plugins=ServiceAccount",
      "--v=0",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr.on("data", (d) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await etcd.stop();
    if (!dir) fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    // The serving certificate is generated at start, self-signed, with its CA after it in the file.
    const caFile = path.join(root, "serving", "apiserver.crt");
    const deadline = Date.now() + 60_000;
    let ca;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`kube-apiserver exited (${proc.exitCode}):\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`kube-apiserver did not become ready on ${server} in 60 s:\n${stderr}`);
      if (fs.existsSync(caFile)) {
        ca = fs.readFileSync(caFile);
        const r = await request(server, ca, tokens.admin, "GET", "/readyz").catch(() => undefined);
        if (r && r.status === 200) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const call = (method, p, body, user = "admin") => request(server, ca, tokens[user], method, p, body);
    const { parse } = require("yaml");
    for (const f of calicoCrds ? fs.readdirSync(bins.crds).sort() : []) {
      const crd = parse(fs.readFileSync(path.join(bins.crds, f), "utf8"));
      const r = await call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
      if (r.status !== 201 && r.status !== 409) throw new Error(`installing ${f} failed: ${r.status} ${JSON.stringify(r.body)}`);
    }
    for (const plural of calicoCrds ? ["bgppeers", "bgpfilters", "clusterinformations"] : []) {
      for (;;) {
        const r = await call("GET", `/apis/crd.projectcalico.org/v1/${plural}`);
        if (r.status === 200) break;
        if (Date.now() > deadline) throw new Error(`the ${plural} CRD was not served in time: ${r.status}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    const kubeconfigFor = (user) => {
      const file = path.join(root, `kubeconfig-${user}`);
      fs.writeFileSync(
        file,
        [
          "apiVersion: v1",
          "kind: Config",
          "clusters:",
          "- name: local",
          "  cluster:",
          `    server: ${server}`,
          `    certificate-authority: ${caFile}`,
          "users:",
          `- name: ${user}`,
          "  user:",
          `    token: ${tokens[user]}`,
          "contexts:",
          "- name: local",
          "  context:",
          "    cluster: local",
          `    user: ${user}`,
          "current-context: local",
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      return file;
    };
    return {
      server,
      caFile,
      tokens,
      dir: root,
      version: bins.version,
      kubeconfig: kubeconfigFor("admin"),
      kubeconfigFor,
      call,
      pid: proc.pid,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

module.exports = { startKube };
