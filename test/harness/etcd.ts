import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Etcd3 } from "etcd3";

// The tools script is plain JS shared with the demo and CI.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const tools = require("../../../scripts/tools.js") as { ensureEtcd(): string };

export interface EtcdOptions {
  /** Serve https with a CA and require client certificates. */
  tls?: boolean;
  /** Enable etcd authentication with user root and this password. */
  rootPassword?: string;
}

export interface Certs {
  ca: string;
  cert: string;
  key: string;
  dir: string;
}

export interface TestEtcd {
  endpoint: string;
  dataDir: string;
  certs?: Certs;
  /** A client with full access, for arranging and inspecting state. */
  admin: Etcd3;
  /** etcd's own count of requests it served, by gRPC method, from its metrics endpoint. */
  rpcCounts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function makeCerts(dir: string): Certs {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  fs.writeFileSync(path.join(dir, "san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test-ca");
  for (const name of ["server", "client"]) {
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name === "client" ? "root" : "127.0.0.1"}`);
    run("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", "san.cnf");
  }
  return { ca: path.join(dir, "ca.crt"), cert: path.join(dir, "client.crt"), key: path.join(dir, "client.key"), dir };
}

/** Starts Debian's etcd on free loopback ports with a temporary data directory. Fails loudly if etcd is missing. */
export async function startEtcd(opts: EtcdOptions = {}): Promise<TestEtcd> {
  const etcd = tools.ensureEtcd();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-etcd-"));
  const [clientPort, peerPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const scheme = opts.tls ? "https" : "http";
  const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const certs = opts.tls ? makeCerts(dataDir) : undefined;
  const args = [
    "--name", "test",
    "--data-dir", path.join(dataDir, "data"),
    "--listen-client-urls", endpoint,
    "--advertise-client-urls", endpoint,
    "--listen-peer-urls", `http://127.0.0.1:${peerPort}`,
    "--initial-advertise-peer-urls", `http://127.0.0.1:${peerPort}`,
    "--initial-cluster", `test=http://127.0.0.1:${peerPort}`,
    "--listen-metrics-urls", `http://127.0.0.1:${metricsPort}`,
    "--log-level", "error",
    "--logger", "zap",
  ];
  if (certs) {
    args.push("--cert-file", path.join(dataDir, "server.crt"), "--key-file", path.join(dataDir, "server.key"), "--client-cert-auth", "--trusted-ca-file", certs.ca);
  }
  const proc: ChildProcess = spawn(etcd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));

  const tlsOpts = certs
    ? { credentials: { rootCertificate: fs.readFileSync(certs.ca), certChain: fs.readFileSync(certs.cert), privateKey: fs.readFileSync(certs.key) } }
    : {};
  let admin = new Etcd3({ hosts: endpoint, ...tlsOpts, defaultCallOptions: () => ({ deadline: Date.now() + 2000 }) });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await admin.get("/health-probe").string();
      break;
    } catch (e) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        admin.close();
        proc.kill("SIGKILL");
        throw new Error(`etcd did not start on ${endpoint}: ${(e as Error).message}\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (opts.rootPassword !== undefined) {
    await admin.role("root").create();
    await admin.user("root").create(opts.rootPassword);
    await admin.user("root").addRole("root");
    // etcd3's AuthClient is not on the Etcd3 facade; the raw RPC enables auth.
    const { AuthClient } = require("etcd3/lib/rpc");
    await new AuthClient((admin as unknown as { pool: unknown }).pool).authEnable({});
    admin.close();
    admin = new Etcd3({ hosts: endpoint, ...tlsOpts, auth: { username: "root", password: opts.rootPassword } });
  }
  return {
    endpoint,
    dataDir,
    certs,
    admin,
    async rpcCounts() {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const counts: Record<string, number> = {};
      for (const m of text.matchAll(/^grpc_server_handled_total\{[^}]*grpc_method="([^"]+)"[^}]*grpc_service="([^"]+)"[^}]*\} (\S+)$/gm)) {
        const key = `${m[2].split(".").pop()}.${m[1]}`;
        counts[key] = (counts[key] ?? 0) + Number(m[3]);
      }
      return counts;
    },
    async stop() {
      admin.close();
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
