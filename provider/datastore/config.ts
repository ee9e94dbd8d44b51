import * as fs from "node:fs";
import { type CalicoVersion, parseCalicoVersion } from "../model/versions";

/**
 * Where the etcd connection comes from, in precedence order. The first source that names
 * endpoints supplies every setting, so credentials from one source never mix with endpoints of
 * another.
 */
export type ConnectionSource = "stack config" | "environment" | "calicoctl config file" | "default";

export interface ConnectionSettings {
  source: ConnectionSource;
  endpoints: string[];
  username?: string;
  /** Never logged, never put in state or in an error message. */
  password?: string;
  caCertFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Inline PEM, as calicoctl's etcdCACert/etcdCert/etcdKey. */
  caCert?: string;
  cert?: string;
  key?: string;
  /** Connect and per-operation deadline. */
  timeoutMs: number;
}

export const DEFAULT_CALICOCTL_CONFIG = "/etc/calico/calicoctl.cfg";
export const DEFAULT_TIMEOUT_MS = 10_000;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Stack config keys, all in the `calico:` namespace. */
export const STACK_KEYS = {
  datastoreType: "calico:datastoreType",
  endpoints: "calico:etcdEndpoints",
  username: "calico:etcdUsername",
  password: "calico:etcdPassword",
  caCertFile: "calico:etcdCACertFile",
  certFile: "calico:etcdCertFile",
  keyFile: "calico:etcdKeyFile",
  caCert: "calico:etcdCACert",
  cert: "calico:etcdCert",
  key: "calico:etcdKey",
  timeout: "calico:etcdTimeout",
  configFile: "calico:calicoctlConfig",
} as const;

/** calicoctl's environment variables (libcalico-go apiconfig, envconfig tags). */
export const ENV_KEYS = {
  datastoreType: "DATASTORE_TYPE",
  endpoints: "ETCD_ENDPOINTS",
  username: "ETCD_USERNAME",
  password: "ETCD_PASSWORD",
  caCertFile: "ETCD_CA_CERT_FILE",
  certFile: "ETCD_CERT_FILE",
  keyFile: "ETCD_KEY_FILE",
  caCert: "ETCD_CA_CERT",
  cert: "ETCD_CERT",
  key: "ETCD_KEY",
  timeout: "CALICO_ETCD_TIMEOUT",
  configFile: "CALICOCTL_CONFIG",
} as const;

/** calicoctl.cfg's CalicoAPIConfig spec keys. */
const FILE_KEYS = {
  datastoreType: "datastoreType",
  endpoints: "etcdEndpoints",
  username: "etcdUsername",
  password: "etcdPassword",
  caCertFile: "etcdCACertFile",
  certFile: "etcdCertFile",
  keyFile: "etcdKeyFile",
  caCert: "etcdCACert",
  cert: "etcdCert",
  key: "etcdKey",
} as const;

type Getter = (key: string) => string | undefined;
type Field = keyof typeof FILE_KEYS;

function checkDatastoreType(value: string | undefined, where: string): void {
  if (value === undefined || value === "" || value === "etcdv3") return;
  throw new ConfigError(
    `${where} is ${JSON.stringify(value)}, but BgpPeer manages Calico's etcd v3 datastore only: set it to "etcdv3" or unset it (for the Kubernetes datastore, manage BGPPeer custom resources instead)`,
  );
}

function splitEndpoints(text: string): string[] {
  return text
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
}

function parseTimeout(text: string | undefined, where: string): number {
  if (text === undefined || text === "") return DEFAULT_TIMEOUT_MS;
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new ConfigError(`${where} ${JSON.stringify(text)} is not a timeout: use seconds ("10") or a duration ("10s", "500ms", "1m")`);
  const n = Number(m[1]);
  const ms = m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
  if (ms <= 0) throw new ConfigError(`${where} must be positive`);
  return ms;
}

function fromGetter(get: Getter, keys: Record<Field, string>, source: ConnectionSource, timeout: number): ConnectionSettings {
  const pick = (f: Field) => {
    const v = get(keys[f]);
    return v === undefined || v === "" ? undefined : v;
  };
  return {
    source,
    endpoints: splitEndpoints(pick("endpoints") ?? ""),
    username: pick("username"),
    password: pick("password"),
    caCertFile: pick("caCertFile"),
    certFile: pick("certFile"),
    keyFile: pick("keyFile"),
    caCert: pick("caCert"),
    cert: pick("cert"),
    key: pick("key"),
    timeoutMs: timeout,
  };
}

export interface ResolveInputs {
  /** Stack config as the dynamic provider's configure saw it; undefined outside the engine. */
  stack?: Getter;
  env?: NodeJS.ProcessEnv;
}

/** Stack config, then calicoctl's environment variables, then calicoctl's config file. */
export function resolveConnection({ stack, env = process.env }: ResolveInputs): ConnectionSettings {
  const stackGet: Getter = stack ?? (() => undefined);
  checkDatastoreType(stackGet(STACK_KEYS.datastoreType), `stack config ${STACK_KEYS.datastoreType}`);
  checkDatastoreType(env[ENV_KEYS.datastoreType], `environment variable ${ENV_KEYS.datastoreType}`);
  const timeoutWhere = stackGet(STACK_KEYS.timeout) !== undefined ? `stack config ${STACK_KEYS.timeout}` : `environment variable ${ENV_KEYS.timeout}`;
  const timeout = parseTimeout(stackGet(STACK_KEYS.timeout) ?? env[ENV_KEYS.timeout], timeoutWhere);

  if (stackGet(STACK_KEYS.endpoints)) return fromGetter(stackGet, STACK_KEYS, "stack config", timeout);
  if (env[ENV_KEYS.endpoints]) return fromGetter((k) => env[k], ENV_KEYS, "environment", timeout);

  const explicitFile = stackGet(STACK_KEYS.configFile) ?? env[ENV_KEYS.configFile];
  const file = explicitFile ?? DEFAULT_CALICOCTL_CONFIG;
  if (fs.existsSync(file)) return readCalicoctlConfig(file, timeout);
  if (explicitFile !== undefined) throw new ConfigError(`calicoctl config file ${file} does not exist`);
  return { source: "default", endpoints: ["http://127.0.0.1:2379"], timeoutMs: timeout };
}

/** A CalicoAPIConfig YAML file, as calicoctl reads it. */
export function readCalicoctlConfig(file: string, timeoutMs = DEFAULT_TIMEOUT_MS): ConnectionSettings {
  let doc: unknown;
  try {
    // Loaded here, not at the top: most setups never read a calicoctl.cfg, and the provider process
    // is one per `pulumi up` (see BENCHMARKS.md, memory).
    const { parse } = require("yaml") as typeof import("yaml");
    doc = parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError(`cannot read calicoctl config file ${file}: ${(e as Error).message}`);
  }
  const d = doc as { kind?: unknown; spec?: Record<string, unknown> } | null;
  if (!d || typeof d !== "object" || d.kind !== "CalicoAPIConfig" || typeof d.spec !== "object" || d.spec === null) {
    throw new ConfigError(`calicoctl config file ${file} is not a CalicoAPIConfig (expected kind: CalicoAPIConfig with a spec)`);
  }
  const spec = d.spec;
  const get: Getter = (k) => (typeof spec[k] === "string" ? (spec[k] as string) : undefined);
  checkDatastoreType(get("datastoreType"), `datastoreType in ${file}`);
  const s = fromGetter(get, FILE_KEYS, "calicoctl config file", timeoutMs);
  if (s.endpoints.length === 0) throw new ConfigError(`calicoctl config file ${file} names no etcdEndpoints`);
  return s;
}

/** The Calico release the peers are for, when the user says: stack config, then the environment. */
export const VERSION_KEYS = { stack: "calico:calicoVersion", env: "CALICO_VERSION" } as const;

export function configuredCalicoVersion({ stack, env = process.env }: ResolveInputs): { version: CalicoVersion; source: string } | undefined {
  const fromStack = stack?.(VERSION_KEYS.stack);
  const [text, source] = fromStack ? [fromStack, `stack config ${VERSION_KEYS.stack}`] : [env[VERSION_KEYS.env], `environment variable ${VERSION_KEYS.env}`];
  if (text === undefined || text === "") return undefined;
  const version = parseCalicoVersion(text);
  if (!version) throw new ConfigError(`${source} ${JSON.stringify(text)} is not a Calico release: give it as calico-node reports it, for example "v3.31.0"`);
  return { version, source };
}

/** A description of the settings that is safe to print: endpoints and source, no credentials. */
export function describe(s: ConnectionSettings): string {
  return `etcd ${s.endpoints.join(",")} (from ${s.source})`;
}
