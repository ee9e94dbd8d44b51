import * as fs from "node:fs";
import { ConsecutiveBreaker, circuitBreaker, ExponentialBackoff, handleWhen, isBrokenCircuitError, retry } from "cockatiel";
import { Etcd3, type IOptions, isRecoverableError } from "etcd3";
import type { ConnectionSettings } from "../config";
import { ConfigError } from "../errors";

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
    // A set's read of 128 peers can be 128 values of up to 1.5 MB each, above gRPC's default 4 MiB
    // for a received message; etcd itself sends responses of any size.
    grpcOptions: { "grpc.max_receive_message_length": -1 },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + s.timeoutMs }),
    // A call that fails on one endpoint (down, unreachable, timed out, or between leaders) is tried
    // again on another, with a backoff that outlasts a leader election, and the failed endpoint is
    // avoided for a while. Each provider process is
    // new, so the breaker opens after one failure, not after etcd3's default of three. Retrying a
    // guarded transaction is safe, and the caller tells its own earlier success from a conflict by
    // reading back what the retry found (client.ts: our uid, our bytes).
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(1) }),
      // During an election every member fails for a moment and every breaker opens; the retry then
      // waits for a breaker to half-open rather than giving up.
      global: retry(
        handleWhen((e) => isRecoverableError(e) || isBrokenCircuitError(e)),
        { maxAttempts: Math.max(7, s.endpoints.length + 3), backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }) },
      ),
    },
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
