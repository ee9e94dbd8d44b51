import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before } from "node:test";
import { Etcd3 } from "etcd3";
import { closeClient } from "../../provider/datastore/etcd/connection";

// Shared with the demo, which is plain JS.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const shared = require("../../../scripts/etcd.js") as {
  freePort(): Promise<number>;
  spawnEtcd(o: {
    name: string;
    dataDir: string;
    scheme?: string;
    extraArgs?: string[];
    clientOptions?: object;
  }): Promise<{ endpoint: string; pid: number; stop(): Promise<void> }>;
};

export interface EtcdOptions {
  /** Serve https with a CA and require client certificates. */
  tls?: boolean;
  /** Enable etcd authentication with user root and this password. */
  rootPassword?: string;
  /** Also serve etcd's v2 API (--enable-v2), as a Calico <= 2.6 datastore used it. */
  enableV2?: boolean;
}

export interface Certs {
  ca: string;
  cert: string;
  key: string;
  dir: string;
}

export interface TestEtcd {
  endpoint: string;
  /** The etcd process, for tests that freeze it (SIGSTOP) or kill it. */
  pid: number;
  dataDir: string;
  certs?: Certs;
  /** A client with full access, for arranging and inspecting state. */
  admin: Etcd3;
  /** etcd's own count of requests it served, by gRPC method, from its metrics endpoint. */
  rpcCounts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export const freePort = shared.freePort;

function makeCerts(dir: string): Certs {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  fs.writeFileSync(path.join(dir, "san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test-ca");
  for (const name of ["server", "client"]) {
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name === "client" ? "root" : "127.0.0.1"}`);
    run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      "san.cnf",
    );
  }
  return { ca: path.join(dir, "ca.crt"), cert: path.join(dir, "client.crt"), key: path.join(dir, "client.key"), dir };
}

/** Starts Debian's etcd on free loopback ports with a temporary data directory. Fails loudly if etcd is missing. */
export async function startEtcd(opts: EtcdOptions = {}): Promise<TestEtcd> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-etcd-"));
  const metricsPort = await freePort();
  const certs = opts.tls ? makeCerts(dataDir) : undefined;
  const extraArgs = ["--listen-metrics-urls", `http://127.0.0.1:${metricsPort}`];
  if (opts.enableV2) extraArgs.push("--enable-v2");
  if (certs) {
    extraArgs.push(
      "--cert-file",
      path.join(dataDir, "server.crt"),
      "--key-file",
      path.join(dataDir, "server.key"),
      "--client-cert-auth",
      "--trusted-ca-file",
      certs.ca,
    );
  }
  const tlsOpts = certs
    ? { credentials: { rootCertificate: fs.readFileSync(certs.ca), certChain: fs.readFileSync(certs.cert), privateKey: fs.readFileSync(certs.key) } }
    : {};
  const server = await shared.spawnEtcd({
    name: "test",
    dataDir: path.join(dataDir, "data"),
    scheme: opts.tls ? "https" : "http",
    extraArgs,
    clientOptions: tlsOpts,
  });
  const endpoint = server.endpoint;
  let admin = new Etcd3({ hosts: endpoint, ...tlsOpts });
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
    pid: server.pid,
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
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A real etcd for the test file that calls this (at its top level): started before its tests and
 * handed to the provider in this process through ETCD_ENDPOINTS, stopped after them with the
 * provider's client. The object returned is filled in when etcd has started.
 */
/**
 * An etcd started before the enclosing suite's tests and stopped after them. The object is filled
 * in by the suite's `before` hook, so read its fields inside tests and hooks.
 */
export function suiteEtcd(opts: EtcdOptions = {}): TestEtcd {
  const etcd = {} as TestEtcd;
  before(async () => {
    Object.assign(etcd, await startEtcd(opts));
  });
  after(async () => {
    await etcd.stop?.();
  });
  return etcd;
}

export function etcdForProvider(opts: EtcdOptions = {}): TestEtcd {
  const etcd = {} as TestEtcd;
  before(async () => {
    Object.assign(etcd, await startEtcd(opts));
    process.env.ETCD_ENDPOINTS = etcd.endpoint;
  });
  after(async () => {
    closeClient();
    await etcd.stop?.();
  });
  return etcd;
}
