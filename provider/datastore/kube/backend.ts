import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { StoredPeer } from "../../model/codec";
import { FIELDS } from "../../model/fields";
import {
  type ApiGroup,
  CRD_GROUP_V1,
  CRD_GROUP_V3,
  convertUID,
  crBody,
  enforcesInt32,
  INT32_MAX,
  int32Overflows,
  UnreadableResourceError,
  viewOfCR,
} from "../../model/kdd";
import { markOf } from "../../model/uid";
import { type Backend, type ChunkResult, type DeleteResult, type SetWrite, type Stored, storedOf, unreadableStored, type WriteResult } from "../api";
import { describeKube } from "../config";
import {
  AuthenticationFailedError,
  ConfigError,
  DatastoreError,
  InvalidInputError,
  PermissionDeniedError,
  UnreachableError,
  UnsupportedFieldError,
} from "../errors";
import { execCredentials, type KubeSettings } from "./kubeconfig";

/**
 * The Kubernetes API datastore: BGPPeers as Calico's custom resources, one HTTP request per
 * operation where Kubernetes allows it. Create is a POST (409: the object exists), update a PUT
 * carrying resourceVersion (409: it changed), delete a DELETE with uid and resourceVersion
 * preconditions, read a GET. A peer that names BGPFilters adds one LIST of them before its write,
 * as calicoctl's does; Kubernetes has no transaction to fold it into.
 */

type Json = Record<string, unknown>;

/** Requests sent by this process, by "METHOD resource": the bench and the tests read them. */
export const kubeRequests = new Map<string, number>();

export function countRequests(): number {
  let n = 0;
  for (const v of kubeRequests.values()) n += v;
  return n;
}

interface Reply {
  status: number;
  body: Json;
  /** Seconds, from a 429's Retry-After header. */
  retryAfter?: number;
}

class KubeApi {
  private agent: http.Agent;
  private secure: boolean;
  constructor(readonly s: KubeSettings) {
    this.secure = s.server.startsWith("https:");
    let cert = s.cert;
    let key = s.key;
    if (s.exec && this.secure) {
      const c = execCredentials(s.exec, s.timeoutMs);
      cert = c.cert ?? cert;
      key = c.key ?? key;
    }
    this.agent = this.secure
      ? new https.Agent({ keepAlive: true, ca: s.ca, cert, key, rejectUnauthorized: !s.insecure, servername: s.tlsServerName })
      : new http.Agent({ keepAlive: true });
  }

  close(): void {
    this.agent.destroy();
  }

  /** The Authorization header: client-go sends credentials only over https. */
  private authorization(): string | undefined {
    if (!this.secure) return undefined;
    const s = this.s;
    let token = s.token;
    if (!token && s.tokenFile) {
      try {
        token = fs.readFileSync(s.tokenFile, "utf8").trim();
      } catch (e) {
        throw new DatastoreError(`cannot read the Kubernetes token file ${s.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    if (!token && s.exec) token = execCredentials(s.exec, s.timeoutMs).token;
    if (token) return `Bearer ${token}`;
    if (s.username !== undefined) return `Basic ${Buffer.from(`${s.username}:${s.password ?? ""}`).toString("base64")}`;
    return undefined;
  }

  /**
   * One request. A keep-alive connection the server closed while it sat idle (the API server drops
   * idle ones after a while, and a provider process can wait minutes between two operations) fails
   * at reuse with ECONNRESET or EPIPE before anything reached the server: that attempt is repeated
   * once, on a new connection. Every request here is safe to repeat anyway: a POST meets 409, a PUT
   * or DELETE its resourceVersion precondition, and the caller reads back what it finds.
   */
  async request(method: string, path: string, body?: string): Promise<Reply> {
    for (let throttled = 0; ; throttled++) {
      let r: Reply;
      try {
        r = await this.attempt(method, path, body);
      } catch (e) {
        const err = e as NodeJS.ErrnoException & { reusedSocket?: boolean };
        if (!err.reusedSocket || (err.code !== "ECONNRESET" && err.code !== "EPIPE")) throw e;
        r = await this.attempt(method, path, body);
      }
      // 429: the API server's priority and fairness asks this client to slow down (a large
      // fabric's up sends one request per peer, as fast as the server answers). Retry-After says
      // for how long; 5 such answers in a row are given up on.
      if (r.status !== 429 || throttled >= 4) return r;
      await new Promise((res) => setTimeout(res, Math.min(10, r.retryAfter ?? 1) * 1000));
    }
  }

  private attempt(method: string, path: string, body?: string): Promise<Reply> {
    const resource = path.replace(/^\/apis\/[^/]+\/[^/]+\//, "").split(/[/?]/)[0] || path;
    const label = `${method} ${resource}`;
    kubeRequests.set(label, (kubeRequests.get(label) ?? 0) + 1);
    const url = new URL(this.s.server + path);
    const headers: Record<string, string> = { Accept: "application/json" };
    const auth = this.authorization();
    if (auth) headers.Authorization = auth;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    const mod = this.secure ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: this.agent, timeout: this.s.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: Json = {};
          try {
            parsed = text ? (JSON.parse(text) as Json) : {};
          } catch {
            parsed = { message: text.slice(0, 200) };
          }
          const retryAfter = Number.parseInt(String(res.headers["retry-after"] ?? ""), 10);
          resolve({ status: res.statusCode ?? 0, body: parsed, retryAfter: Number.isNaN(retryAfter) ? undefined : retryAfter });
        });
      });
      req.on("timeout", () => req.destroy(Object.assign(new Error(`timed out after ${this.s.timeoutMs} ms`), { code: "ETIMEDOUT" })));
      req.on("error", (e) => reject(Object.assign(e, { reusedSocket: req.reusedSocket })));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}

function messageOf(r: Reply): string {
  return typeof r.body.message === "string" ? r.body.message : `HTTP ${r.status}`;
}

/**
 * Writes ask the API server to refuse fields its CRD does not declare. Without it, the server
 * drops them (pruning, with only a Warning header), as it does for calicoctl: a Calico v3.32
 * field written to a v3.31 CRD would be lost, the write reported done, and every later preview
 * would show the peer as changed.
 */
const STRICT = "?fieldValidation=Strict";

class KubeBackend implements Backend {
  readonly type = "kubernetes";
  readonly storeName = "the Kubernetes datastore";
  readonly maxBatch = 1;
  // The API server gives a created object its own uid, so a create's uid cannot tell this stack's
  // writes from others'; the mark it writes can.
  readonly ownWriteSign = "this stack's mark";
  readonly where: string;
  private api: KubeApi;
  private group?: Promise<ApiGroup>;
  private version?: Promise<{ major: number; minor: number; text: string }>;

  constructor(readonly s: KubeSettings) {
    this.where = describeKube(s);
    this.api = new KubeApi(s);
  }

  close(): void {
    this.api.close();
  }

  /**
   * The group Calico keeps BGPPeers in, as libcalico-go v3.32 picks it: calicoAPIGroup when set;
   * otherwise projectcalico.org/v3 only if the cluster serves that group and not
   * crd.projectcalico.org (native v3 CRDs), else crd.projectcalico.org/v1. One discovery request
   * per process.
   */
  apiGroup(): Promise<ApiGroup> {
    if (this.s.apiGroup) return Promise.resolve(/^projectcalico\.org\/v3$/i.test(this.s.apiGroup) ? CRD_GROUP_V3 : CRD_GROUP_V1);
    this.group ??= this.call("discover Calico's API group", "GET", "/apis").then((r) => {
      const names = new Set(((r.body.groups ?? []) as { name?: string }[]).map((g) => g.name));
      return names.has("projectcalico.org") && !names.has("crd.projectcalico.org") ? CRD_GROUP_V3 : CRD_GROUP_V1;
    });
    this.group.catch(() => {
      this.group = undefined;
    });
    return this.group;
  }

  private async path(resource: string, name?: string, query = ""): Promise<string> {
    return `/apis/${await this.apiGroup()}/${resource}${name === undefined ? "" : `/${encodeURIComponent(name)}`}${query}`;
  }

  /** One request; statuses other than `ok` and `expected` become typed errors naming the server, never the credentials. */
  private async call(op: string, method: string, path: string, body?: string, expected: number[] = []): Promise<Reply> {
    let r: Reply;
    try {
      r = await this.api.request(method, path, body);
    } catch (e) {
      // A credential that could not be had (a token file, an exec plugin) says so itself.
      if (e instanceof DatastoreError || e instanceof ConfigError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new UnreachableError(`${op} failed: cannot reach ${this.where}: ${err.code ? `${err.code}: ` : ""}${err.message}`);
    }
    // A 404 that names no object: the resource type itself is not served.
    const served = /^\/apis\/([^/]+\/[^/]+)\/(bgppeers|bgpfilters)\b/.exec(path);
    if (r.status === 404 && served && !(r.body.details as Json | undefined)?.name) {
      throw new DatastoreError(
        `${op} failed: ${this.where} does not serve ${served[2]} in ${served[1]}: Calico's CRDs are not installed there, or calicoAPIGroup names a group the cluster does not serve.`,
      );
    }
    if ((r.status >= 200 && r.status < 300) || expected.includes(r.status)) return r;
    const msg = messageOf(r);
    if (r.status === 401) {
      throw new AuthenticationFailedError(
        `${op} failed: ${this.where} refused the credentials (401 Unauthorized): check the token, client certificate or exec plugin of the kubeconfig, or calico:k8sAPIToken. (${msg})`,
      );
    }
    if (r.status === 403) {
      throw new PermissionDeniedError(
        `${op} failed: ${this.where} denied it (403 Forbidden): ${msg}. BgpPeer needs get, list, create, update and delete on bgppeers, and get and list on bgpfilters, in the API group crd.projectcalico.org (projectcalico.org for native v3 CRDs); see the ClusterRole in docs/kubernetes.md.`,
      );
    }
    if (r.status === 422) throw new InvalidInputError(`${op} failed: ${this.where} rejected the object: ${msg}. Nothing was written.`);
    if (r.status === 429 || r.status >= 500) throw new UnreachableError(`${op} failed: ${this.where} answered ${r.status}: ${msg}`);
    throw new DatastoreError(`${op} failed: ${this.where} answered ${r.status}: ${msg}`);
  }

  private async view(cr: Json): Promise<Stored> {
    const group = await this.apiGroup();
    const name = String((cr.metadata as Json | undefined)?.name ?? "");
    try {
      const v = viewOfCR(cr, group);
      return storedOf(name, v.value, v.resourceVersion);
    } catch (e) {
      if (!(e instanceof UnreadableResourceError)) throw e;
      return unreadableStored(String((cr.metadata as Json | undefined)?.resourceVersion ?? ""), e.message);
    }
  }

  async getPeer(name: string): Promise<Stored | undefined> {
    const r = await this.call("read", "GET", await this.path("bgppeers", name), undefined, [404]);
    return r.status === 404 ? undefined : this.view(r.body);
  }

  async listPeers(): Promise<{ revision: string; peers: [string, Stored][] }> {
    const peers: [string, Stored][] = [];
    let cont = "";
    let revision = "";
    // Pages of 500, as client-go's pager lists for calicoctl.
    do {
      const r = await this.call("list", "GET", await this.path("bgppeers", undefined, `?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`));
      const meta = (r.body.metadata ?? {}) as Json;
      revision ||= String(meta.resourceVersion ?? "");
      for (const item of (r.body.items ?? []) as Json[]) peers.push([String((item.metadata as Json).name), await this.view(item)]);
      cont = typeof meta.continue === "string" ? meta.continue : "";
    } while (cont);
    return { revision, peers };
  }

  /** A few names: one GET each, 8 at a time. More: one paged LIST, cheaper than a GET per peer. */
  async getPeersIn(names: readonly string[]): Promise<Map<string, Stored>> {
    const out = new Map<string, Stored>();
    if (names.length > 16) {
      const want = new Set(names);
      for (const [n, kv] of (await this.listPeers()).peers) if (want.has(n)) out.set(n, kv);
      return out;
    }
    for (let i = 0; i < names.length; i += 8) {
      const part = names.slice(i, i + 8);
      const got = await Promise.all(part.map((n) => this.getPeer(n)));
      got.forEach((kv, j) => {
        if (kv) out.set(part[j], kv);
      });
    }
    return out;
  }

  /** calicoctl's check of spec.filters: one LIST of BGPFilters (get and list are all it needs). */
  private async missingFilters(filters: string[]): Promise<string[]> {
    if (!filters.length) return [];
    const have = new Set<string>();
    let cont = "";
    do {
      const r = await this.call(
        "list BGPFilters",
        "GET",
        await this.path("bgpfilters", undefined, `?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`),
      );
      for (const item of (r.body.items ?? []) as Json[]) have.add(String((item.metadata as Json).name));
      const meta = (r.body.metadata ?? {}) as Json;
      cont = typeof meta.continue === "string" ? meta.continue : "";
    } while (cont);
    return [...new Set(filters)].filter((f) => !have.has(f));
  }

  private serverVersion(): Promise<{ major: number; minor: number; text: string }> {
    this.version ??= this.call("read the Kubernetes version", "GET", "/version").then((r) => ({
      major: Number.parseInt(String(r.body.major ?? "0"), 10),
      minor: Number.parseInt(String(r.body.minor ?? "0"), 10),
      text: String(r.body.gitVersion ?? `${r.body.major}.${r.body.minor}`),
    }));
    this.version.catch(() => {
      this.version = undefined;
    });
    return this.version;
  }

  async refuseUnstorable(name: string, value: string): Promise<void> {
    const spec = (JSON.parse(value) as { spec?: Json }).spec ?? {};
    const over = int32Overflows(spec);
    if (!over.length) return;
    const v = await this.serverVersion();
    if (!enforcesInt32(v.major, v.minor)) return;
    throw new InvalidInputError(
      `BGPPeer "${name}": ${over.map(([f, n]) => `${f} ${n}`).join(" and ")} ${over.length > 1 ? "are" : "is"} above ${INT32_MAX}. Calico's CRD declares asNumber and localASNumber \`format: int32\`, and Kubernetes 1.36 and later (this cluster is ${v.text}) enforce it, so the API server would reject the peer. Nothing was written. Use a 4-byte ASN up to ${INT32_MAX} (dotted up to 32767.65535), or the etcd datastore; Kubernetes 1.35 and earlier store such ASNs as they are.`,
    );
  }

  /** A write's 400: fields the CRD does not declare (refused under STRICT), or the server's own words. */
  private badRequest(op: string, name: string, r: Reply): DatastoreError {
    const msg = messageOf(r);
    const fields = [...msg.matchAll(/unknown field "spec\.([^"]+)"/g)].map((m) => m[1]);
    if (!fields.length) return new DatastoreError(`${op} failed: ${this.where} answered 400: ${msg}`);
    const problems = fields.map((f) => {
      const since = (FIELDS as Record<string, { since?: string } | undefined>)[f]?.since;
      return `${f}: is not in the BGPPeer CRD of ${this.where}${since ? ` (Calico added it in ${since}; the cluster's CRDs are older)` : ""}, and the API server would drop it`;
    });
    return new UnsupportedFieldError({
      peer: name,
      operation: op,
      reason: problems.join("; "),
      problems,
      written: "nothing",
      remedy: `Install the CRDs of a Calico release that has ${fields.join(" and ")}, or leave ${fields.length > 1 ? "them" : "it"} out.`,
    });
  }

  private async current(name: string, missingFilters: string[] = []): Promise<WriteResult> {
    return { ok: false, current: await this.getPeer(name), missingFilters };
  }

  /** Before a write: what the API server would reject (refused), and BGPFilters that do not exist (the write's result). */
  private async precheck(name: string, value: string, filters: string[]): Promise<WriteResult | undefined> {
    await this.refuseUnstorable(name, value);
    const missing = await this.missingFilters(filters);
    return missing.length ? this.current(name, missing) : undefined;
  }

  async createPeer(name: string, value: string, filters: string[]): Promise<WriteResult> {
    const refused = await this.precheck(name, value, filters);
    if (refused) return refused;
    const group = await this.apiGroup();
    const r = await this.call("create", "POST", await this.path("bgppeers", undefined, STRICT), crBody(value, group), [400, 409]);
    if (r.status === 400) throw this.badRequest("create", name, r);
    if (r.status === 409) return this.current(name);
    const stored = await this.view(r.body);
    return { ok: true, revision: stored.modRevision, stored };
  }

  async updatePeer(name: string, value: string, rev: string, filters: string[]): Promise<WriteResult> {
    const refused = await this.precheck(name, value, filters);
    if (refused) return refused;
    const group = await this.apiGroup();
    const r = await this.call("update", "PUT", await this.path("bgppeers", name, STRICT), crBody(value, group, rev), [400, 404, 409, 422]);
    if (r.status === 400) throw this.badRequest("update", name, r);
    if (r.status === 404 || r.status === 409) return this.current(name);
    if (r.status === 422) {
      // The uid no longer matches: deleted and re-created since (Calico reads this as a conflict too).
      if (/metadata\.uid/.test(messageOf(r))) return this.current(name);
      throw new InvalidInputError(`update failed: ${this.where} rejected BGPPeer "${name}": ${messageOf(r)}. Nothing was written.`);
    }
    const stored = await this.view(r.body);
    return { ok: true, revision: stored.modRevision, stored };
  }

  async deletePeer(name: string, rev: string, uid?: string): Promise<DeleteResult> {
    const group = await this.apiGroup();
    const preconditions: Json = { resourceVersion: rev };
    if (uid) preconditions.uid = group === CRD_GROUP_V1 ? convertUID(uid) : uid;
    const body = JSON.stringify({ kind: "DeleteOptions", apiVersion: group, preconditions });
    const r = await this.call("delete", "DELETE", await this.path("bgppeers", name), body, [404, 409]);
    if (r.status === 404) return { ok: true };
    if (r.status === 409) return { ok: false, current: await this.getPeer(name) };
    return { ok: true };
  }

  async commitChunk(writes: readonly SetWrite[]): Promise<ChunkResult> {
    if (writes.length !== 1) throw new Error(`the Kubernetes datastore writes one peer at a time (got ${writes.length})`);
    const w = writes[0];
    const res: WriteResult | DeleteResult =
      w.op === "create"
        ? await this.createPeer(w.name, w.value, w.filters)
        : w.op === "update"
          ? await this.updatePeer(w.name, w.value, w.rev, w.filters)
          : await this.deletePeer(w.name, w.rev);
    if (res.ok) {
      const stored = w.op === "delete" ? undefined : (res as { stored?: Stored }).stored;
      const revision = w.op === "delete" ? w.rev : ((res as { revision?: string }).revision ?? "0");
      return { ok: true, revision, stored: stored && new Map([[w.name, stored]]) };
    }
    const current = new Map<string, Stored>();
    if (res.current) current.set(w.name, res.current);
    return { ok: false, current, missingFilters: (res as { missingFilters?: string[] }).missingFilters ?? [] };
  }

  async clusterCalicoVersion(): Promise<string | undefined> {
    // Read only for a peer with a field newer than Calico v3.0; a least-privilege identity may not
    // read ClusterInformation, and then the release is unknown, as when none is recorded.
    const r = await this.call("read ClusterInformation", "GET", await this.path("clusterinformations", "default"), undefined, [403, 404]);
    if (r.status !== 200) return undefined;
    const v = ((r.body.spec ?? {}) as Json).calicoVersion;
    return typeof v === "string" && v !== "" ? v : undefined;
  }

  /** The same object but for the uid the server gave it at create. */
  holds(value: string, kv: Stored | undefined): boolean {
    if (kv === undefined || kv.unreadable) return false;
    if (kv.value === value) return true;
    const strip = (text: string) => {
      const o = JSON.parse(text) as Json;
      return JSON.stringify({ ...o, metadata: { ...(o.metadata as Json), uid: undefined } });
    };
    return strip(value) === strip(kv.value);
  }

  isOwnWrite(owner: string | undefined, peer: Pick<StoredPeer, "annotations">): boolean {
    return owner !== undefined && markOf(peer) === owner;
  }

  wrap(err: unknown, op: string): Error {
    if (err instanceof DatastoreError) return err;
    const e = err as Error;
    return new UnreachableError(`${op} failed: ${this.where}: ${e?.message ?? String(err)}`);
  }
}

let cached: { settings: KubeSettings; fingerprint: string; backend: KubeBackend } | undefined;

export function kubeBackend(s: KubeSettings): Backend {
  if (cached?.settings === s) return cached.backend;
  const fingerprint = JSON.stringify({ ...s, ca: s.ca?.toString("base64"), cert: s.cert?.toString("base64"), key: s.key?.toString("base64") });
  if (cached && cached.fingerprint === fingerprint) {
    cached.settings = s;
    return cached.backend;
  }
  cached?.backend.close();
  cached = { settings: s, fingerprint, backend: new KubeBackend(s) };
  return cached.backend;
}

export function closeKube(): void {
  cached?.backend.close();
  cached = undefined;
}
