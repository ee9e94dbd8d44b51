import { encodeValue, OWN_METADATA_KEYS, type StoredPeer } from "../model/codec";
import { OWNER_ANNOTATION } from "../model/keys";
import { type PeerInputs, pickSpec, SPEC_FIELDS } from "../model/spec";

/**
 * What a peer's state holds, and the value a write puts in the datastore: the two directions
 * between Pulumi's inputs and outputs and Calico's stored object.
 */

type Json = Record<string, unknown>;

/**
 * What a BgpPeer's state holds: its normalized inputs plus what the datastore and Calico assigned.
 *
 * @example A peer state, as pulumi stack export shows its outputs
 * ```ts
 * const outs: BgpPeerOutputs = {
 *   name: "rr", peerIP: "10.0.0.10", asNumber: 64512, scope: "global",
 *   uid: "3c1e2c6a-8e0b-4a55-9d42-7f1e0c3b2a11", creationTimestamp: "2026-12-06T10:00:00Z", resourceVersion: "42",
 * };
 * ```
 */
export interface PeerOutputs extends PeerInputs {
  /** The peer's uid: etcd's value keeps it; Kubernetes assigns its own (state keeps Calico's form). */
  uid: string;
  /** When the peer was first created, as Calico records it (RFC 3339). */
  creationTimestamp: string;
  /** The datastore's revision of the peer (etcd's mod revision, or the CR's resourceVersion). */
  resourceVersion: string;
  /** "node" for a peer of one node, "global" otherwise, as the seed's v1 model says. */
  scope?: "node" | "global";
  /** The parts of the stored object that this resource does not manage, written back unchanged. */
  preserved?: Json;
}

/** What the datastore and Calico assigned to one peer, as its state keeps it. */
export interface StoredMeta {
  uid: string;
  creationTimestamp: string;
  resourceVersion: string;
  preserved?: Json;
}

/** structproto rejects undefined, so results go through JSON. */
export function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

/**
 * `o` without its undefined keys, for objects whose values are JSON already: what plain does for
 * them, without a JSON round trip per peer (a set's up builds thousands).
 */
export function defined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

export function sortedJson(m: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function pickKeys(m: Record<string, string>, keys: Iterable<string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const k of keys) if (k in m) out[k] = m[k];
  return Object.keys(out).length ? out : undefined;
}

/** The stored object minus what we manage: kept in state so that an update is one request. */
export function preservedParts(stored: StoredPeer, managedLabels: Iterable<string>, managedAnnotations: Iterable<string>): Json | undefined {
  // Shallow copies are enough: nothing below is mutated, and this runs on every read.
  const raw = stored.raw as Json;
  const dropKeys = (m: unknown, keys: Iterable<string>) => {
    if (!m || typeof m !== "object") return undefined;
    const copy = { ...(m as Json) };
    for (const k of keys) delete copy[k];
    return Object.keys(copy).length ? copy : undefined;
  };
  const meta: Json = { ...((raw.metadata ?? {}) as Json) };
  for (const k of OWN_METADATA_KEYS) delete meta[k];
  const labels = dropKeys(meta.labels, managedLabels);
  const annotations = dropKeys(meta.annotations, managedAnnotations);
  delete meta.labels;
  delete meta.annotations;
  if (labels) meta.labels = labels;
  if (annotations) meta.annotations = annotations;
  const spec: Json = { ...((raw.spec ?? {}) as Json) };
  for (const k of SPEC_FIELDS) delete spec[k];
  const out: Json = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === "kind" || k === "apiVersion" || k === "metadata" || k === "spec") continue;
    out[k] = v;
  }
  if (Object.keys(meta).length) out.metadata = meta;
  if (Object.keys(spec).length) out.spec = spec;
  return Object.keys(out).length ? out : undefined;
}

function scopeOf(spec: { node?: string; nodeSelector?: string }): "node" | "global" | undefined {
  if (spec.node !== undefined) return "node";
  return spec.nodeSelector === undefined ? "global" : undefined;
}

/** The label and annotation keys a resource manages: those its inputs (or last outputs) declare. */
export interface Managed {
  labels: string[];
  annotations: string[];
  adopt?: boolean | "force";
}

export function managedBy(o: { labels?: Record<string, string>; annotations?: Record<string, string>; adopt?: boolean | "force" } | undefined): Managed {
  return { labels: Object.keys(o?.labels ?? {}), annotations: Object.keys(o?.annotations ?? {}), adopt: o?.adopt };
}

/** Outputs for a stored object, reporting only the labels and annotations this resource manages. */
export function outputsFrom(stored: StoredPeer, modRevision: string, managed: Managed): PeerOutputs {
  const { labels: labelKeys, annotations: annotationKeys } = managed;
  // The spec's values are decoded JSON, and the copies below are fresh: only the undefined keys go.
  return defined({
    name: stored.name,
    ...stored.spec,
    labels: pickKeys(stored.labels, labelKeys),
    annotations: pickKeys(stored.annotations, annotationKeys),
    adopt: managed.adopt || undefined,
    uid: stored.uid ?? "",
    creationTimestamp: stored.creationTimestamp ?? "",
    resourceVersion: modRevision,
    scope: scopeOf(stored.spec),
    preserved: preservedParts(stored, labelKeys, annotationKeys),
  });
}

export function inputsOf(outs: PeerOutputs): PeerInputs {
  const { uid, creationTimestamp, resourceVersion, scope, preserved, ...inputs } = outs;
  return plain(inputs);
}

/** The value to write: declared fields over the preserved ones, and the writing stack's mark. */
export function desiredValue(inputs: PeerInputs, meta: { uid: string; creationTimestamp: string }, preserved: Json | undefined): string {
  const baseMeta = (preserved?.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
  return encodeValue({
    name: inputs.name,
    uid: meta.uid,
    creationTimestamp: meta.creationTimestamp,
    labels: { ...baseMeta.labels, ...inputs.labels },
    annotations: { ...baseMeta.annotations, ...inputs.annotations, ...(inputs.__owner ? { [OWNER_ANNOTATION]: inputs.__owner } : {}) },
    spec: pickSpec(inputs as unknown as Json),
    base: preserved,
  });
}
