import * as fs from "node:fs";
import { type CalicoVersion, parseCalicoVersion } from "../model/versions";
import type { DatastoreType } from "./api";
import { ConfigError } from "./errors";
import { type KubeOverrides, type KubeSettings, kubeSettings } from "./kube/kubeconfig";

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

/**
 * The environment variables that choose or configure a datastore: calicoctl's (ETCD_*,
 * DATASTORE_TYPE, CALICO_* such as CALICOCTL_CONFIG), the kubeconfig's, K8S_*, and an in-cluster
 * service's. `calico-bgppeer -c FILE` and the local demo set them all aside.
 */
export const DATASTORE_ENV = /^(CALICO|DATASTORE_TYPE$|ETCD_|KUBECONFIG$|K8S|KUBERNETES_SERVICE_)/;

/** `env` without its datastore variables, and the names of those it had. */
export function withoutDatastoreEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; cleared: string[] } {
  const cleared = Object.keys(env)
    .filter((k) => DATASTORE_ENV.test(k))
    .sort();
  return { env: Object.fromEntries(Object.entries(env).filter(([k]) => !DATASTORE_ENV.test(k))), cleared };
}
export const DEFAULT_TIMEOUT_MS = 10_000;

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
export const FILE_KEYS = {
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

function checkDatastoreType(value: string | undefined, where: string): DatastoreType | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "etcdv3" || value === "kubernetes") return value;
  throw new ConfigError(`${where} is ${JSON.stringify(value)}: Calico's datastores are "etcdv3" and "kubernetes"`);
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

/** calicoctl's environment variables as its envconfig reads them: CALICO_<name> first, then <name>. */
function envGetter(env: NodeJS.ProcessEnv): Getter {
  return (k) => env[`CALICO_${k}`] || env[k];
}

export interface ResolveInputs {
  /** Stack config as the dynamic provider's configure saw it; undefined outside the engine. */
  stack?: Getter;
  env?: NodeJS.ProcessEnv;
  /** A kubeconfig context that wins over every source's (the CLI's --context). */
  kubeContext?: string;
}

/** Stack config, then calicoctl's environment variables, then calicoctl's config file. */
export function resolveConnection({ stack, env = process.env }: ResolveInputs): ConnectionSettings {
  const stackGet: Getter = stack ?? (() => undefined);
  const timeoutWhere = stackGet(STACK_KEYS.timeout) !== undefined ? `stack config ${STACK_KEYS.timeout}` : `environment variable ${ENV_KEYS.timeout}`;
  const timeout = parseTimeout(stackGet(STACK_KEYS.timeout) ?? env[ENV_KEYS.timeout], timeoutWhere);

  if (stackGet(STACK_KEYS.endpoints)) return fromGetter(stackGet, STACK_KEYS, "stack config", timeout);
  const envGet = envGetter(env);
  if (envGet(ENV_KEYS.endpoints)) return fromGetter(envGet, ENV_KEYS, "environment", timeout);

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
  if (checkDatastoreType(get("datastoreType"), `datastoreType in ${file}`) === "kubernetes") {
    throw new ConfigError(`calicoctl config file ${file} is for the Kubernetes datastore (datastoreType: kubernetes), not etcd`);
  }
  const s = fromGetter(get, FILE_KEYS, "calicoctl config file", timeoutMs);
  if (s.endpoints.length === 0) throw new ConfigError(`calicoctl config file ${file} names no etcdEndpoints`);
  return s;
}

/** Stack config keys of the Kubernetes datastore (calicoctl.cfg's names, in the calico: namespace). */
export const KUBE_STACK_KEYS: Record<keyof KubeOverrides, string> = {
  kubeconfig: "calico:kubeconfig",
  kubeconfigInline: "calico:kubeconfigInline",
  k8sAPIEndpoint: "calico:k8sAPIEndpoint",
  k8sCAFile: "calico:k8sCAFile",
  k8sCertFile: "calico:k8sCertFile",
  k8sKeyFile: "calico:k8sKeyFile",
  k8sAPIToken: "calico:k8sAPIToken",
  k8sInsecureSkipTLSVerify: "calico:k8sInsecureSkipTLSVerify",
  k8sCurrentContext: "calico:k8sCurrentContext",
  calicoAPIGroup: "calico:calicoAPIGroup",
};

/**
 * calicoctl's environment variables for the Kubernetes datastore (envconfig tags; CALICO_<tag> is
 * tried first, as envconfig does). The token's only variable is CALICO_K8SAPITOKEN: apiconfig.go
 * tags it `ignore:"true"`, which envconfig does not know, so it derives that name.
 */
export const KUBE_ENV_KEYS: Record<keyof KubeOverrides, string | undefined> = {
  kubeconfig: "KUBECONFIG",
  kubeconfigInline: undefined,
  k8sAPIEndpoint: "K8S_API_ENDPOINT",
  k8sCAFile: "K8S_CA_FILE",
  k8sCertFile: "K8S_CERT_FILE",
  k8sKeyFile: "K8S_KEY_FILE",
  k8sAPIToken: "K8SAPITOKEN",
  k8sInsecureSkipTLSVerify: "K8S_INSECURE_SKIP_TLS_VERIFY",
  k8sCurrentContext: "K8S_CURRENT_CONTEXT",
  calicoAPIGroup: "CALICO_API_GROUP",
};

export type Datastore = { type: "etcdv3"; etcd: ConnectionSettings } | { type: "kubernetes"; kube: KubeSettings };

function kubeFrom(get: Getter, keys: Record<keyof KubeOverrides, string | undefined>): KubeOverrides {
  const o: KubeOverrides = {};
  for (const [f, k] of Object.entries(keys) as [keyof KubeOverrides, string | undefined][]) {
    const v = k === undefined ? undefined : get(k);
    if (v !== undefined && v !== "") o[f] = v;
  }
  return o;
}

/**
 * Which datastore, and the connection to it. The type comes from the first source that states it
 * (stack config, then DATASTORE_TYPE, then calicoctl's file), where etcd endpoints in stack config
 * or the environment state etcdv3; with none, etcdv3 (calicoctl would pick kubernetes: a
 * deliberate difference, so that a program written for etcd never turns to a cluster by accident).
 * The source that states kubernetes supplies every Kubernetes setting, as for etcd.
 */
export function resolveDatastore({ stack, env = process.env, kubeContext }: ResolveInputs): Datastore {
  const stackGet: Getter = stack ?? (() => undefined);
  const envGet = envGetter(env);
  const stackType = checkDatastoreType(stackGet(STACK_KEYS.datastoreType), `stack config ${STACK_KEYS.datastoreType}`);
  const envType = checkDatastoreType(envGet(ENV_KEYS.datastoreType), `environment variable ${ENV_KEYS.datastoreType}`);
  const timeout = () => {
    const t = stackGet(STACK_KEYS.timeout) ?? env[ENV_KEYS.timeout];
    return parseTimeout(t, stackGet(STACK_KEYS.timeout) !== undefined ? `stack config ${STACK_KEYS.timeout}` : `environment variable ${ENV_KEYS.timeout}`);
  };
  const kube = (source: string, o: KubeOverrides): Datastore => {
    return { type: "kubernetes", kube: kubeSettings(kubeContext ? { ...o, k8sCurrentContext: kubeContext } : o, source, timeout(), env) };
  };
  if (stackType === "kubernetes") {
    const o = kubeFrom(stackGet, KUBE_STACK_KEYS);
    if (!o.kubeconfig && !o.kubeconfigInline && !o.k8sAPIEndpoint && env.KUBECONFIG) o.kubeconfig = env.KUBECONFIG;
    return kube("stack config", o);
  }
  if (stackType === undefined && !stackGet(STACK_KEYS.endpoints)) {
    if (envType === "kubernetes") {
      refuseIgnoredTokenVars(env);
      return kube("environment", kubeFrom(envGet, KUBE_ENV_KEYS));
    }
    if (envType === undefined && !envGet(ENV_KEYS.endpoints)) {
      const explicitFile = stackGet(STACK_KEYS.configFile) ?? env[ENV_KEYS.configFile];
      const file = explicitFile ?? DEFAULT_CALICOCTL_CONFIG;
      const spec = fs.existsSync(file) ? calicoctlSpec(file) : undefined;
      if (spec && spec.datastoreType === "kubernetes") {
        const get: Getter = (k) => (typeof spec[k] === "string" ? (spec[k] as string) : typeof spec[k] === "boolean" ? String(spec[k]) : undefined);
        return kube(
          "calicoctl config file",
          kubeFrom(get, Object.fromEntries(Object.keys(KUBE_STACK_KEYS).map((k) => [k, k])) as Record<keyof KubeOverrides, string>),
        );
      }
    }
  }
  return { type: "etcdv3", etcd: resolveConnection({ stack, env }) };
}

/** calicoctl ignores these (see KUBE_ENV_KEYS); silently connecting without the token they hold would surprise. */
function refuseIgnoredTokenVars(env: NodeJS.ProcessEnv): void {
  const set = ["K8S_API_TOKEN", "K8S_TOKEN"].filter((k) => env[k]);
  if (set.length && !env.CALICO_K8SAPITOKEN && !env.K8SAPITOKEN) {
    throw new ConfigError(
      `${set.join(" and ")} is set, but calicoctl ignores it, and so does BgpPeer: give the token as CALICO_K8SAPITOKEN (calicoctl's real name for k8sAPIToken), as calico:k8sAPIToken (a secret), or in a kubeconfig`,
    );
  }
}

function calicoctlSpec(file: string): Record<string, unknown> | undefined {
  try {
    const { parse } = require("yaml") as typeof import("yaml");
    const d = parse(fs.readFileSync(file, "utf8")) as { kind?: unknown; spec?: Record<string, unknown> } | null;
    return d && typeof d === "object" && d.kind === "CalicoAPIConfig" && typeof d.spec === "object" && d.spec !== null ? d.spec : undefined;
  } catch {
    // readCalicoctlConfig reports it, with the reason.
    return undefined;
  }
}

/** The Calico release the peers are for, when the user says: stack config, then the environment. */
export const VERSION_KEYS = { stack: "calico:calicoVersion", env: "CALICO_VERSION" } as const;

/**
 * The stack config the provider reads, from `get` (the provider's configure request, or the
 * program's config at an up's connection check): every key that has a value.
 */
export function providerConfig(get: (key: string) => string | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of [...Object.values(STACK_KEYS), ...Object.values(KUBE_STACK_KEYS), VERSION_KEYS.stack]) {
    const v = get(key);
    if (v !== undefined) values[key] = v;
  }
  return values;
}

export function configuredCalicoVersion({ stack, env = process.env }: ResolveInputs): { version: CalicoVersion; source: string } | undefined {
  const fromStack = stack?.(VERSION_KEYS.stack);
  const [text, source] = fromStack ? [fromStack, `stack config ${VERSION_KEYS.stack}`] : [env[VERSION_KEYS.env], `environment variable ${VERSION_KEYS.env}`];
  if (text === undefined || text === "") return undefined;
  const version = parseCalicoVersion(text);
  if (!version) throw new ConfigError(`${source} ${JSON.stringify(text)} is not a Calico release: give it as calico-node reports it, for example "v3.31.0"`);
  return { version, source };
}

/**
 * The line the program (dynamic resources) and the native provider print once per run: where the
 * peers go, and which setting chose it. Undefined when the settings do not resolve: the first
 * operation's error says why, with the peer it was for.
 */
export function announcement(stack: (key: string) => string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    const d = resolveDatastore({ stack, env });
    return `pulumi-calico-bgppeer: BGP peers in ${d.type === "etcdv3" ? describe(d.etcd) : describeKube(d.kube)}`;
  } catch {
    return undefined;
  }
}

/** A description of the settings that is safe to print: endpoints and source, no credentials. */
export function describe(s: ConnectionSettings): string {
  return `etcd ${s.endpoints.join(",")} (from ${s.source})`;
}

/** The same for a Kubernetes API connection: server, context and source. */
export function describeKube(s: KubeSettings): string {
  return `the Kubernetes API server ${s.server}${s.context ? ` (context ${s.context}` : " ("}${s.context ? ", " : ""}from ${s.kubeconfig ?? s.source})`;
}
