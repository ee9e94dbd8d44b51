import { parseAsn } from "./asn";
import { normalizeDuration } from "./duration";
import { RuleError } from "./errors";
import { FIELDS, type FieldDef, type PeerSpec, SPEC_FIELDS, type SpecField } from "./fields";
import { formatIP, formatPeerIP, parseIP, parsePeerIP } from "./ip";

import { PEER_PREFIX } from "./keys";

export { FILTER_PREFIX, filterKey, PEER_PREFIX, peerKey } from "./keys";

// ObjectMeta JSON field order (k8s apimachinery types.go), which Go's encoding/json follows.
export const METADATA_ORDER = [
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
];

type Json = Record<string, unknown>;

/**
 * The metadata keys the write sets itself (name, uid, creationTimestamp) or never stores
 * (resourceVersion and selfLink, which clientv3 strips): the client layer keeps every other key.
 */
export const OWN_METADATA_KEYS = ["name", "uid", "creationTimestamp", "resourceVersion", "selfLink"] as const;

/** The stored object as we understand it, plus everything else in it, kept for write-back. */
export interface StoredPeer {
  name: string;
  uid?: string;
  creationTimestamp?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PeerSpec;
  /** The parsed value, untouched: unknown fields, other metadata, and fields Calico may add later. */
  raw: Json;
}

/** `o` with the keys of `order` first, in that order, then the rest; undefined values dropped. */
export function orderKeys(o: Json, order: readonly string[]): Json {
  const out: Json = {};
  for (const k of order) if (o[k] !== undefined) out[k] = o[k];
  for (const k of Object.keys(o)) if (!(k in out) && o[k] !== undefined) out[k] = o[k];
  return out;
}

/** etcd's default --max-request-bytes: a Put larger than this fails. */
export const ETCD_MAX_REQUEST_BYTES = 1572864;
/** What a peer's value may take of it: the rest is the key, the metadata, and the request itself. */
export const ETCD_MAX_VALUE_BYTES = ETCD_MAX_REQUEST_BYTES - 4096;

/**
 * Go's json.Marshal output: compact, and HTML-escaped (<, >, & as \u003c, \u003e, \u0026; also
 * U+2028 and U+2029). Those characters only occur inside strings in JSON text, so a textual
 * replacement is exact.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Go's json.Marshal writes map keys sorted by their bytes; undefined for an empty map, which omitempty drops. */
export function sortedMap(m: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!m || typeof m !== "object" || Object.keys(m).length === 0) return undefined;
  const keys = Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(keys.map((k) => [k, m[k]]));
}

/**
 * The spec as Calico writes it: Go field order, unset fields absent, password key always present.
 * Objects that went through the Pulumi engine come back with their keys sorted, so the nested
 * SecretKeySelector is put back in its Go order (name, key, optional) too.
 */
export function encodeSpec(spec: PeerSpec, extra: Json = {}): Json {
  const out: Json = {};
  for (const k of SPEC_FIELDS) if (spec[k] !== undefined) out[k] = spec[k];
  if (spec.password) out.password = { secretKeyRef: orderKeys(spec.password.secretKeyRef as unknown as Json, ["name", "key", "optional"]) };
  for (const [k, v] of Object.entries(extra)) if (!(SPEC_FIELDS as readonly string[]).includes(k)) out[k] = v;
  return out;
}

export interface EncodeArgs {
  name: string;
  uid: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec: PeerSpec;
  /** The stored object this write replaces: its other fields survive. */
  base?: Json;
}

export function encodeValue(a: EncodeArgs): string {
  const base = a.base ?? {};
  const baseMeta = (isObject(base.metadata) ? base.metadata : {}) as Json;
  const baseSpec = (isObject(base.spec) ? base.spec : {}) as Json;
  const metadata = orderKeys(
    {
      ...baseMeta,
      ...Object.fromEntries(OWN_METADATA_KEYS.map((k) => [k, undefined])),
      name: a.name,
      uid: a.uid,
      creationTimestamp: a.creationTimestamp,
      labels: sortedMap(a.labels),
      annotations: sortedMap(a.annotations),
    },
    METADATA_ORDER,
  );
  const value = orderKeys({ ...base, kind: "BGPPeer", apiVersion: "projectcalico.org/v3", metadata, spec: encodeSpec(a.spec, baseSpec) }, [
    "kind",
    "apiVersion",
    "metadata",
    "spec",
  ]);
  return goJson(value);
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A stored value Calico itself could not parse: calico-node ignores such a peer. */
export class UnreadableValueError extends Error {
  constructor(
    readonly key: string,
    readonly why: string,
  ) {
    super(`the value stored at ${key} is not a BGPPeer Calico can read (${why}); calico-node ignores it. Fix or delete it with calicoctl or etcdctl.`);
    this.name = "UnreadableValueError";
  }
}

/** Go's json.Unmarshal matches field names case-insensitively; Calico's own writers use the exact names. */
export function field(o: Json, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

/**
 * Decode anything any Calico v3 release wrote: pre-v3.17 "peerIP":"" and "asNumber":0, AS
 * numbers as numbers, decimal or dotted strings, non-canonical IPs and durations, unknown fields.
 * Values are normalized as check normalizes inputs, so equal meanings compare equal.
 */
export function decodeValue(key: string, text: string): StoredPeer {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UnreadableValueError(key, `invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new UnreadableValueError(key, "not a JSON object");
  const meta = field(raw, "metadata") ?? {};
  const s = field(raw, "spec") ?? {};
  if (!isObject(meta) || !isObject(s)) throw new UnreadableValueError(key, "metadata or spec is not an object");
  const name = key.slice(PEER_PREFIX.length);
  const str = (v: unknown, what: string): string | undefined => {
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw new UnreadableValueError(key, `${what} is not a string`);
    return v;
  };
  const spec: Json = {};
  try {
    for (const f of SPEC_FIELDS) {
      const v = field(s, f);
      if (v === undefined || v === null) continue;
      decodeSpecField(spec, f, v, str);
    }
  } catch (e) {
    if (e instanceof RuleError) throw new UnreadableValueError(key, e.message);
    throw e;
  }
  const map = (v: unknown, what: string): Record<string, string> => {
    if (v === undefined || v === null) return {};
    if (!isObject(v) || Object.values(v).some((x) => typeof x !== "string")) throw new UnreadableValueError(key, `${what} is not a map of strings`);
    return v as Record<string, string>;
  };
  const ts = str(field(meta, "creationTimestamp"), "metadata.creationTimestamp");
  if (ts !== undefined && Number.isNaN(Date.parse(ts))) throw new UnreadableValueError(key, `metadata.creationTimestamp ${JSON.stringify(ts)} is not RFC 3339`);
  return {
    name,
    uid: str(field(meta, "uid"), "metadata.uid"),
    creationTimestamp: ts,
    labels: map(field(meta, "labels"), "metadata.labels"),
    annotations: map(field(meta, "annotations"), "metadata.annotations"),
    spec: spec as PeerSpec,
    raw,
  };
}

/** One stored field, decoded by its kind in the field table: as leniently as Calico reads it. */
function decodeSpecField(spec: Json, f: SpecField, v: unknown, str: (v: unknown, what: string) => string | undefined): void {
  const what = `spec.${f}`;
  const def: FieldDef = FIELDS[f];
  switch (def.kind) {
    case "name":
    case "selector":
    case "enum": {
      const t = str(v, what);
      if (t !== undefined) spec[f] = t;
      return;
    }
    case "peerAddress": {
      const t = str(v, what);
      // A stored peerIP calico-node cannot parse is kept as it is, so that it shows as drift.
      if (t !== undefined) spec[f] = tryNormalize(t, () => formatPeerIP(parsePeerIP(f, t)));
      return;
    }
    case "ip": {
      const t = str(v, what);
      if (t !== undefined) {
        const ip = parseIP(t);
        spec[f] = ip ? formatIP(ip) : t;
      }
      return;
    }
    case "asn": {
      const n = parseAsn(what, v);
      if (n !== 0 || !def.zeroIsUnset) spec[f] = n;
      return;
    }
    case "bool":
      if (typeof v !== "boolean") throw new RuleError(what, "is not a boolean");
      if (v) spec[f] = true;
      return;
    case "duration": {
      const t = str(v, what);
      // Our rules reject negative timers; Calico reads them, so a stored one is kept as it is.
      if (t !== undefined) spec[f] = tryNormalize(t, () => normalizeDuration(what, t));
      return;
    }
    case "int":
      if (typeof v !== "number" || !Number.isInteger(v) || v < def.decodeMin! || v > def.max!)
        throw new RuleError(what, `${JSON.stringify(v)} is out of range`);
      if (v !== 0 || !def.zeroIsUnset) spec[f] = v;
      return;
    case "names":
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new RuleError(what, "is not a list of strings");
      if (v.length) spec[f] = [...v];
      return;
    case "password": {
      if (!isObject(v)) throw new RuleError(what, "is not an object");
      const ref = field(v, "secretKeyRef");
      if (ref === undefined || ref === null) return;
      if (!isObject(ref)) throw new RuleError(`${what}.secretKeyRef`, "is not an object");
      const optional = field(ref, "optional");
      spec[f] = {
        secretKeyRef: {
          name: (str(field(ref, "name"), `${what}.secretKeyRef.name`) ?? "") as string,
          key: (str(field(ref, "key"), `${what}.secretKeyRef.key`) ?? "") as string,
          ...(typeof optional === "boolean" ? { optional } : {}),
        },
      };
      return;
    }
  }
}

function tryNormalize(t: string, fn: () => string): string {
  try {
    return fn();
  } catch {
    return t;
  }
}

/** metav1.Time: RFC 3339 in UTC with second precision. */
export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}
