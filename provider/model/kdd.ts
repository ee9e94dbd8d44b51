import { encodeSpec, goJson, sortedMap as goMap, METADATA_ORDER, orderKeys as ordered } from "./codec";
import { INT32_MAX, type PeerSpec } from "./fields";

/**
 * How Calico keeps a v3 BGPPeer in the Kubernetes API datastore (KDD), as libcalico-go v3.31's
 * lib/backend/k8s/resources/resources.go converts it: the one place this package knows it. The
 * datastore layer (datastore/kube.ts) moves these bodies; everything above it sees the same v3
 * object, as a string, that the etcd backend stores.
 */

type Json = Record<string, unknown>;

/** Calico's CRD group (v3.31, and v3.32 unless the cluster serves only native v3 CRDs). */
export const CRD_GROUP_V1 = "crd.projectcalico.org/v1";
/** v3.32's native projectcalico.org/v3 CRDs (tech preview): objects are stored as they are. */
export const CRD_GROUP_V3 = "projectcalico.org/v3";
export type ApiGroup = typeof CRD_GROUP_V1 | typeof CRD_GROUP_V3;

/** The annotation that holds the v3 metadata on a crd.projectcalico.org/v1 object. */
export const METADATA_ANNOTATION = "projectcalico.org/metadata";

/** isOurs in resources.go: only these labels and annotations are also copied onto the CR itself. */
export function isCalicoOwnedKey(k: string): boolean {
  return k.includes("projectcalico.org/") || k.includes("operator.tigera.io/");
}

function reverseBits(x: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r = (r << 1) | ((x >> i) & 1);
  return r;
}

/**
 * conversion.ConvertUID: the v3 uid is the CR's uid with every byte bit-reversed except byte 6
 * (version) and byte 8 (variant). It is its own inverse, so it converts both ways.
 */
export function convertUID(uid: string): string {
  const hex = uid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`failed to parse UID for resource: ${uid}`);
  const b = Buffer.from(hex, "hex");
  for (let i = 0; i < 16; i++) if (i !== 6 && i !== 8) b[i] = reverseBits(b[i]);
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sortedMap(m: unknown): Record<string, string> | undefined {
  return isObject(m) ? goMap(m as Record<string, string>) : undefined;
}

function filtered(m: unknown, keep: (k: string) => boolean): Record<string, string> | undefined {
  if (!isObject(m)) return undefined;
  return sortedMap(Object.fromEntries(Object.entries(m).filter(([k]) => keep(k))));
}

/**
 * The spec in Go field order (codec's encodeSpec, unknown fields kept after the known ones): the
 * apiserver hands custom resources back with their keys sorted, and the v3 view must be the bytes
 * Calico's own encoder would give.
 */
function goSpec(spec: unknown): Json {
  return isObject(spec) ? encodeSpec(spec as PeerSpec, spec) : {};
}

/** Metadata the CR carries for the apiserver that is not part of the v3 object Calico shows. */
const SERVER_ONLY = ["resourceVersion", "selfLink", "managedFields", "namespace"];

/**
 * The body of a create (POST, no resourceVersion) or update (PUT, with it) of `value`, a v3 object
 * as the etcd backend stores it. For crd.projectcalico.org/v1 this is what calicoctl v3.31 sends
 * (§1.5 of the KDD reference): the CR uid converted from the v3 one (the apiserver assigns its own
 * at create), "creationTimestamp": null, the Calico-owned labels and annotations on the CR, and
 * all of the v3 metadata but name and uid in the projectcalico.org/metadata annotation.
 */
export function crBody(value: string, group: ApiGroup, resourceVersion?: string): string {
  const v = JSON.parse(value) as Json;
  const meta = (isObject(v.metadata) ? v.metadata : {}) as Json;
  const spec = goSpec(v.spec);
  const uid = typeof meta.uid === "string" && meta.uid !== "" ? meta.uid : undefined;
  if (group === CRD_GROUP_V3) {
    const m: Json = { ...meta, resourceVersion, uid: resourceVersion ? uid : undefined };
    for (const k of ["selfLink", "managedFields"]) delete m[k];
    return goJson({ kind: "BGPPeer", apiVersion: CRD_GROUP_V3, metadata: ordered(m, METADATA_ORDER), spec });
  }
  const inner: Json = { ...meta };
  for (const k of ["name", "namespace", "uid", "resourceVersion"]) delete inner[k];
  inner.labels = sortedMap(inner.labels);
  inner.annotations = sortedMap(inner.annotations);
  const metadata: Json = {
    name: meta.name,
    uid: uid && convertUID(uid),
    resourceVersion,
    // Go's zero metav1.Time under apimachinery v0.33 (Calico v3.31); the apiserver sets its own.
    creationTimestamp: null,
    labels: filtered(meta.labels, isCalicoOwnedKey),
    annotations: { [METADATA_ANNOTATION]: goJson(ordered(inner, METADATA_ORDER)), ...filtered(meta.annotations, isCalicoOwnedKey) },
  };
  metadata.annotations = sortedMap(metadata.annotations);
  const out = { kind: "BGPPeer", apiVersion: CRD_GROUP_V1, metadata: ordered(metadata, METADATA_ORDER), spec };
  // JSON.stringify drops undefined but keeps null: the null creationTimestamp is sent as Go sends it.
  return goJson(out);
}

/** A custom resource that cannot be a v3 BGPPeer (Calico skips such an item in a list). */
export class UnreadableResourceError extends Error {}

/**
 * The v3 object Calico shows for a custom resource (ConvertK8sResourceToCalicoResource), encoded
 * as the etcd backend stores one, and its resourceVersion. With the metadata annotation, the
 * annotation's metadata wins and the CR's own generation, creationTimestamp and finalizers are
 * hidden; without it (a CR written by kubectl), the CR's metadata is the object's.
 */
export function viewOfCR(cr: Json, group: ApiGroup): { value: string; resourceVersion: string } {
  const crMeta = (isObject(cr.metadata) ? cr.metadata : {}) as Json;
  const resourceVersion = String(crMeta.resourceVersion ?? "");
  let meta: Json;
  if (group === CRD_GROUP_V3) {
    meta = { ...crMeta };
    // The server bumps generation on every spec change; it is not part of what a peer declares.
    delete meta.generation;
  } else {
    const annotations = isObject(crMeta.annotations) ? { ...crMeta.annotations } : undefined;
    const text = annotations?.[METADATA_ANNOTATION];
    const uid = typeof crMeta.uid === "string" && crMeta.uid !== "" ? convertUID(crMeta.uid) : undefined;
    if (typeof text !== "string") {
      meta = { ...crMeta, uid };
    } else {
      let inner: unknown;
      try {
        inner = JSON.parse(text);
      } catch (e) {
        throw new UnreadableResourceError(`its ${METADATA_ANNOTATION} annotation is not JSON: ${(e as Error).message}`);
      }
      if (!isObject(inner)) throw new UnreadableResourceError(`its ${METADATA_ANNOTATION} annotation is not a JSON object`);
      delete annotations![METADATA_ANNOTATION];
      meta = {
        ...inner,
        name: crMeta.name,
        uid,
        creationTimestamp: inner.creationTimestamp || crMeta.creationTimestamp,
        labels: { ...(isObject(crMeta.labels) ? crMeta.labels : {}), ...(isObject(inner.labels) ? inner.labels : {}) },
        annotations: { ...annotations, ...(isObject(inner.annotations) ? inner.annotations : {}) },
      };
    }
  }
  for (const k of SERVER_ONLY) delete meta[k];
  meta.labels = sortedMap(meta.labels);
  meta.annotations = sortedMap(meta.annotations);
  const value = goJson({ kind: "BGPPeer", apiVersion: "projectcalico.org/v3", metadata: ordered(meta, METADATA_ORDER), spec: goSpec(cr.spec) });
  return { value, resourceVersion };
}

/**
 * Kubernetes 1.36 enforces `format: int32` in CRD schemas (kubernetes/kubernetes#136582); before
 * it the format was stripped and 4-byte ASNs are stored as given. Calico's CRDs, through v3.32 and
 * master, declare asNumber and localASNumber int32.
 */
export function enforcesInt32(major: number, minor: number): boolean {
  return major > 1 || (major === 1 && minor >= 36);
}

export { INT32_MAX };

/** The ASN fields of `spec` (a v3 spec as encoded) above int32 (what a CRD's `format: int32` admits), with their values. */
export function int32Overflows(spec: Json): [string, number][] {
  const out: [string, number][] = [];
  for (const f of ["asNumber", "localASNumber"]) {
    const v = spec[f];
    if (typeof v === "number" && v > INT32_MAX) out.push([f, v]);
  }
  return out;
}
