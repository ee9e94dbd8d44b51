import * as fs from "node:fs";
import { noop } from "cockatiel";
import { Etcd3, type IOptions } from "etcd3";
import { ConfigError, type ConnectionSettings } from "./config";

function readFile(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new ConfigError(`cannot read the etcd ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function clientOptions(s: ConnectionSettings): IOptions {
  if (s.endpoints.length === 0) throw new ConfigError("no etcd endpoints are configured");
  for (const e of s.endpoints) {
    if (!/^https?:\/\/[^/]+\/?$/.test(e))
      throw new ConfigError(`etcd endpoint ${JSON.stringify(e)} is not a URL like http://127.0.0.1:2379 or https://etcd1:2379`);
  }
  const ca = s.caCert !== undefined ? Buffer.from(s.caCert) : s.caCertFile ? readFile(s.caCertFile, "CA certificate") : undefined;
  const cert = s.cert !== undefined ? Buffer.from(s.cert) : s.certFile ? readFile(s.certFile, "client certificate") : undefined;
  const key = s.key !== undefined ? Buffer.from(s.key) : s.keyFile ? readFile(s.keyFile, "client key") : undefined;
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError("an etcd client certificate needs both a certificate and a key");
  const secure = s.endpoints.some((e) => e.startsWith("https:"));
  if (!secure && (ca || cert))
    throw new ConfigError(`TLS files are configured but the etcd endpoints ${s.endpoints.join(",")} use http://: use https:// endpoints`);
  const opts: IOptions = {
    hosts: s.endpoints.map((e) => e.replace(/\/$/, "")),
    dialTimeout: s.timeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + s.timeoutMs }),
    // One attempt per operation: a retried transaction could report its own earlier success as a conflict.
    faultHandling: { global: noop },
  };
  if (ca || cert) {
    // A null root makes grpc use the system's CAs, as calicoctl does when no CA file is given.
    opts.credentials = { rootCertificate: ca ?? (null as unknown as Buffer), privateKey: key, certChain: cert };
  }
  if (s.username !== undefined) opts.auth = { username: s.username, password: s.password ?? "" };
  return opts;
}

// One client per provider process, reused across operations; replaced when the settings change.
let cached: { fingerprint: string; client: Etcd3 } | undefined;

export function getClient(s: ConnectionSettings): Etcd3 {
  const fingerprint = JSON.stringify(s);
  if (cached && cached.fingerprint === fingerprint) return cached.client;
  const client = new Etcd3(clientOptions(s));
  cached?.client.close();
  cached = { fingerprint, client };
  return client;
}

export function closeClient(): void {
  cached?.client.close();
  cached = undefined;
}
