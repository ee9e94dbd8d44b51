import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError } from "../errors";

/**
 * A Kubernetes API connection as calicoctl v3.31 builds one for the Kubernetes datastore: a
 * kubeconfig loaded with client-go's rules, then calicoctl's overrides (k8sAPIEndpoint, CA,
 * client certificate, token, insecure, context) on top.
 *
 * Why not @kubernetes/client-node: 2.x needs undici 8, which refuses Node 20 (it fails at require
 * time); 1.x is an ES module (require(esm) needs Node 20.19+) with about 75 MB of dependencies;
 * and both merge a KUBECONFIG list differently from client-go (they throw on duplicate names, take
 * current-context from the last file and fail on a missing file), so they would not connect where
 * calicoctl does. What calicoctl reads of a kubeconfig is small and is implemented here, exec
 * credential plugins included.
 */

export interface KubeSettings {
  source: string;
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Never logged, never put in state or in an error message. */
  token?: string;
  tokenFile?: string;
  username?: string;
  /** Never logged, never put in state or in an error message. */
  password?: string;
  exec?: ExecConfig;
  insecure: boolean;
  tlsServerName?: string;
  /** crd.projectcalico.org/v1 or projectcalico.org/v3; undefined: discovered as Calico v3.32 does. */
  apiGroup?: string;
  timeoutMs: number;
  /** Where the kubeconfig came from, for messages. */
  kubeconfig?: string;
  context?: string;
}

export interface ExecConfig {
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion: string;
  dir: string;
}

/** calicoctl's KDD overrides (apiconfig.go KubeConfig), by where they come from. */
export interface KubeOverrides {
  kubeconfig?: string;
  kubeconfigInline?: string;
  k8sAPIEndpoint?: string;
  k8sCAFile?: string;
  k8sCertFile?: string;
  k8sKeyFile?: string;
  k8sAPIToken?: string;
  k8sInsecureSkipTLSVerify?: string;
  k8sCurrentContext?: string;
  calicoAPIGroup?: string;
}

type Json = Record<string, unknown>;
type Named = { name: string } & Json;

interface Merged {
  clusters: Map<string, Json>;
  users: Map<string, Json>;
  contexts: Map<string, Json>;
  currentContext?: string;
}

function parseYaml(text: string, where: string): Json {
  const { parse } = require("yaml") as typeof import("yaml");
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ConfigError(`cannot read kubeconfig ${where}: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError(`kubeconfig ${where} is not a YAML mapping`);
  return doc as Json;
}

/** Relative file paths in a kubeconfig are relative to the file (client-go ResolvePaths). */
function absolutize(o: Json, dir: string, keys: string[]): Json {
  const out = { ...o };
  for (const k of keys) if (typeof out[k] === "string" && out[k] !== "" && !path.isAbsolute(out[k] as string)) out[k] = path.join(dir, out[k] as string);
  return out;
}

/**
 * client-go's loading rules: the files of a KUBECONFIG list are merged so that the first file to
 * set a name (cluster, user, context) or current-context wins; missing files are skipped, and
 * only all of them missing is an error.
 */
function loadFiles(files: string[], explicit: boolean): Merged & { dirs: Map<Json, string> } {
  const merged: Merged & { dirs: Map<Json, string> } = { clusters: new Map(), users: new Map(), contexts: new Map(), dirs: new Map() };
  let found = 0;
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      if (explicit && files.length === 1) throw new ConfigError(`cannot read kubeconfig ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      continue;
    }
    found++;
    addDoc(merged, parseYaml(text, file), path.dirname(file));
  }
  if (found === 0) throw new ConfigError(`none of the kubeconfig files ${files.join(path.delimiter)} exists`);
  return merged;
}

function addDoc(merged: Merged & { dirs: Map<Json, string> }, doc: Json, dir: string): void {
  const add = (list: unknown, into: Map<string, Json>, field: string, pathKeys: string[]) => {
    if (!Array.isArray(list)) return;
    for (const item of list as Named[]) {
      if (!item || typeof item.name !== "string" || into.has(item.name)) continue;
      const body = absolutize((item[field] ?? {}) as Json, dir, pathKeys);
      into.set(item.name, body);
      merged.dirs.set(body, dir);
    }
  };
  add(doc.clusters, merged.clusters, "cluster", ["certificate-authority"]);
  add(doc.users, merged.users, "user", ["client-certificate", "client-key", "tokenFile"]);
  add(doc.contexts, merged.contexts, "context", []);
  if (merged.currentContext === undefined && typeof doc["current-context"] === "string" && doc["current-context"] !== "") {
    merged.currentContext = doc["current-context"] as string;
  }
}

function readFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ConfigError(`cannot read the Kubernetes ${what} file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function b64(v: unknown): Buffer | undefined {
  return typeof v === "string" && v !== "" ? Buffer.from(v, "base64") : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

const IN_CLUSTER_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The connection for `o`, as calicoctl's k8s.go builds it: kubeconfigInline, else the kubeconfig
 * file(s), else $HOME/.kube/config when neither a kubeconfig nor an API endpoint is given, else
 * the in-cluster service account; then the overrides on top.
 */
export function kubeSettings(o: KubeOverrides, source: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): KubeSettings {
  let merged: (Merged & { dirs: Map<Json, string> }) | undefined;
  let kubeconfig: string | undefined;
  if (o.kubeconfigInline) {
    merged = { clusters: new Map(), users: new Map(), contexts: new Map(), dirs: new Map() };
    addDoc(merged, parseYaml(o.kubeconfigInline, "(inline)"), process.cwd());
    kubeconfig = "(inline kubeconfig)";
  } else if (o.kubeconfig) {
    const files = [...new Set(o.kubeconfig.split(path.delimiter).filter((f) => f !== ""))];
    merged = loadFiles(files, true);
    kubeconfig = o.kubeconfig;
  } else if (!o.k8sAPIEndpoint) {
    const home = path.join(env.HOME ?? os.homedir(), ".kube", "config");
    if (fs.existsSync(home)) {
      merged = loadFiles([home], true);
      kubeconfig = home;
    }
  }

  const s: KubeSettings = { source, server: "", insecure: false, timeoutMs, kubeconfig, apiGroup: o.calicoAPIGroup };
  if (merged) {
    const contextName = o.k8sCurrentContext ?? merged.currentContext;
    if (!contextName)
      throw new ConfigError(`kubeconfig ${kubeconfig} has no current-context; set one, or name a context (calico:k8sCurrentContext, K8S_CURRENT_CONTEXT)`);
    const ctx = merged.contexts.get(contextName);
    if (!ctx) throw new ConfigError(`kubeconfig ${kubeconfig} has no context ${JSON.stringify(contextName)}`);
    s.context = contextName;
    const cluster = merged.clusters.get(String(ctx.cluster ?? ""));
    if (!cluster)
      throw new ConfigError(
        `kubeconfig ${kubeconfig}: context ${JSON.stringify(contextName)} names cluster ${JSON.stringify(ctx.cluster)}, which it does not define`,
      );
    const user = merged.users.get(String(ctx.user ?? "")) ?? {};
    s.server = str(cluster.server) ?? "";
    s.ca =
      b64(cluster["certificate-authority-data"]) ??
      (str(cluster["certificate-authority"]) ? readFile(cluster["certificate-authority"] as string, "CA certificate") : undefined);
    s.insecure = cluster["insecure-skip-tls-verify"] === true;
    s.tlsServerName = str(cluster["tls-server-name"]);
    s.cert =
      b64(user["client-certificate-data"]) ??
      (str(user["client-certificate"]) ? readFile(user["client-certificate"] as string, "client certificate") : undefined);
    s.key = b64(user["client-key-data"]) ?? (str(user["client-key"]) ? readFile(user["client-key"] as string, "client key") : undefined);
    s.token = str(user.token);
    s.tokenFile = str(user.tokenFile);
    s.username = str(user.username);
    s.password = str(user.password);
    const exec = user.exec as Json | undefined;
    if (exec && typeof exec === "object" && str(exec.command)) {
      s.exec = {
        command: exec.command as string,
        args: Array.isArray(exec.args) ? (exec.args as unknown[]).map(String) : [],
        env: Array.isArray(exec.env) ? (exec.env as { name: string; value: string }[]) : [],
        apiVersion: str(exec.apiVersion) ?? "client.authentication.k8s.io/v1",
        dir: merged.dirs.get(user) ?? process.cwd(),
      };
    }
    if (user["auth-provider"]) {
      throw new ConfigError(
        `kubeconfig ${kubeconfig}: user ${JSON.stringify(ctx.user)} uses an auth-provider, which client-go removed; use an exec credential plugin (for example kubelogin or gke-gcloud-auth-plugin) instead`,
      );
    }
  } else if (!o.k8sAPIEndpoint) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port || !fs.existsSync(path.join(IN_CLUSTER_DIR, "token"))) {
      throw new ConfigError(
        `no Kubernetes API server is configured for the Kubernetes datastore: set calico:kubeconfig or KUBECONFIG, or calico:k8sAPIEndpoint or K8S_API_ENDPOINT (there is no ${path.join(env.HOME ?? os.homedir(), ".kube", "config")} and this is not a pod)`,
      );
    }
    s.server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
    s.tokenFile = path.join(IN_CLUSTER_DIR, "token");
    s.ca = readFile(path.join(IN_CLUSTER_DIR, "ca.crt"), "CA certificate");
  }

  if (o.k8sAPIEndpoint) s.server = o.k8sAPIEndpoint;
  if (o.k8sCAFile) s.ca = readFile(o.k8sCAFile, "CA certificate");
  if (o.k8sCertFile) s.cert = readFile(o.k8sCertFile, "client certificate");
  if (o.k8sKeyFile) s.key = readFile(o.k8sKeyFile, "client key");
  if (o.k8sAPIToken) s.token = o.k8sAPIToken;
  if (o.k8sInsecureSkipTLSVerify !== undefined && o.k8sInsecureSkipTLSVerify !== "") s.insecure = /^(1|t|true)$/i.test(o.k8sInsecureSkipTLSVerify);

  if (!/^https?:\/\/[^/]+\/?$/.test(s.server)) {
    throw new ConfigError(`Kubernetes API server ${JSON.stringify(s.server)} (from ${kubeconfig ?? source}) is not a URL like https://10.0.0.1:6443`);
  }
  s.server = s.server.replace(/\/$/, "");
  if ((s.cert === undefined) !== (s.key === undefined)) throw new ConfigError("a Kubernetes client certificate needs both a certificate and a key");
  if (s.apiGroup !== undefined && s.apiGroup !== "" && !/^(crd\.projectcalico\.org\/v1|projectcalico\.org\/v3)$/i.test(s.apiGroup)) {
    throw new ConfigError(`calicoAPIGroup ${JSON.stringify(s.apiGroup)} is neither "crd.projectcalico.org/v1" nor "projectcalico.org/v3"`);
  }
  return s;
}

// Exec credentials, per plugin invocation, until they expire.
const execCache = new Map<string, { token?: string; cert?: Buffer; key?: Buffer; expires?: number }>();

/**
 * The credentials an exec plugin prints (client.authentication.k8s.io ExecCredential), as
 * kubectl runs it: the command with its args and env, KUBERNETES_EXEC_INFO set, stdin closed.
 */
export function execCredentials(e: ExecConfig, timeoutMs: number): { token?: string; cert?: Buffer; key?: Buffer } {
  const key = JSON.stringify(e);
  const hit = execCache.get(key);
  if (hit && (hit.expires === undefined || hit.expires > Date.now() + 10_000)) return hit;
  let out: string;
  try {
    out = execFileSync(e.command, e.args, {
      cwd: e.dir,
      env: {
        ...process.env,
        ...Object.fromEntries(e.env.map((v) => [v.name, v.value])),
        KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: e.apiVersion, kind: "ExecCredential", spec: { interactive: false } }),
      },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
      encoding: "utf8",
    });
  } catch (err) {
    const x = err as { status?: number; stderr?: string; code?: string };
    throw new ConfigError(
      `the kubeconfig's exec credential plugin ${JSON.stringify(e.command)} failed (${x.code ?? `exit ${x.status}`})${x.stderr ? `: ${x.stderr.trim().split("\n").slice(-1)[0]}` : ""}`,
    );
  }
  let status: Json;
  try {
    status = ((JSON.parse(out) as Json).status ?? {}) as Json;
  } catch {
    throw new ConfigError(`the kubeconfig's exec credential plugin ${JSON.stringify(e.command)} did not print an ExecCredential`);
  }
  const creds = {
    token: str(status.token),
    cert: str(status.clientCertificateData) ? Buffer.from(status.clientCertificateData as string) : undefined,
    key: str(status.clientKeyData) ? Buffer.from(status.clientKeyData as string) : undefined,
    expires: str(status.expirationTimestamp) ? Date.parse(status.expirationTimestamp as string) : undefined,
  };
  execCache.set(key, creds);
  return creds;
}
