import { randomUUID } from "node:crypto";
import { type Backend, backendFor } from "./datastore/backend";
import { configuredCalicoVersion, type Datastore, resolveDatastore } from "./datastore/config";
import {
  AlreadyExistsError,
  ConflictError,
  FilterMissingError,
  InvalidInputError,
  NotFoundError,
  UnreachableError,
  UnsupportedFieldError,
} from "./datastore/errors";
import type { StoredKV } from "./datastore/store";
import { decodeValue, encodeValue, nowTimestamp, OWN_METADATA_KEYS, peerKey, type StoredPeer, UnreadableValueError } from "./model/codec";
import { OWNER_ANNOTATION } from "./model/keys";
import { checkInputs, containsUnknown, type PeerInputs, pickSpec, SPEC_FIELDS, specEqual } from "./model/spec";
import { createUid, isOwnUid } from "./model/uid";
import { type CalicoVersion, fieldsTooNew, parseCalicoVersion, usesVersionedFields } from "./model/versions";

/**
 * Calico's client layer for BGPPeer, as libcalico-go's clientv3 sits over its etcdv3 backend: the
 * uid and creationTimestamp a create assigns, the metadata and fields a write keeps (preserved),
 * the labels and annotations a resource manages, adoption, conflicts, and the Calico release's
 * fields. impl.ts adapts it to Pulumi's dynamic provider interface.
 */

type Json = Record<string, unknown>;

/** What a BgpPeer's state holds: its normalized inputs plus what etcd and Calico assigned. */
export interface PeerOutputs extends PeerInputs {
  uid: string;
  creationTimestamp: string;
  resourceVersion: string;
  scope?: "node" | "global";
  /** The parts of the stored object that this resource does not manage, written back unchanged. */
  preserved?: Json;
}

let stackConfig: Record<string, string> | undefined;

/** Stack config as the provider's configure saw it: it wins over the environment and calicoctl's file. */
export function setStackConfig(values: Record<string, string> | undefined): void {
  stackConfig = values;
}

// What the settings depend on besides stack config: calicoctl's variables, the kubeconfig's and the
// home directory (for ~/.kube/config and an in-cluster service account).
const SETTINGS_ENV = /^(CALICO|DATASTORE_TYPE$|ETCD_|KUBECONFIG$|K8S|KUBERNETES_SERVICE_|HOME$)/;
let resolved: { key: string; d: Datastore } | undefined;

/**
 * The settings, resolved once per provider process and configuration: a kubeconfig is a file to
 * read and parse, which would otherwise cost every request a few hundred microseconds.
 */
function datastore(): Datastore {
  const env = Object.entries(process.env)
    .filter(([k]) => SETTINGS_ENV.test(k))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const key = JSON.stringify([stackConfig ?? null, env]);
  if (resolved?.key !== key) resolved = { key, d: resolveDatastore({ stack: stackConfig ? (k) => stackConfig![k] : undefined }) };
  return resolved.d;
}

/** "etcd" or "the Kubernetes datastore", for messages. */
export function storeName(b: Backend = backend()): string {
  return b.type === "kubernetes" ? "the Kubernetes datastore" : "etcd";
}

/** The datastore the settings name: etcd v3 or the Kubernetes API (datastore/backend.ts). */
export function backend(): Backend {
  return backendFor(datastore());
}

export function configuredVersion() {
  return configuredCalicoVersion({ stack: stackConfig ? (k) => stackConfig![k] : undefined });
}

// calico-node's release as ClusterInformation records it, read once per provider process and
// datastore, and only for a peer that uses a field newer than Calico v3.0.
const detectedVersions = new Map<string, Promise<CalicoVersion | undefined>>();

async function clusterVersion(): Promise<{ version: CalicoVersion; source: string } | undefined> {
  const configured = configuredVersion();
  if (configured) return configured;
  const key = backend().where;
  let pending = detectedVersions.get(key);
  if (!pending) {
    pending = withClient("read ClusterInformation", (c) => c.clusterCalicoVersion()).then((t) => (t === undefined ? undefined : parseCalicoVersion(t)));
    detectedVersions.set(key, pending);
    pending.catch(() => detectedVersions.delete(key));
  }
  const version = await pending;
  return version && { version, source: `ClusterInformation in ${storeName()}` };
}

/** Refuses, before anything is written, fields that the cluster's calico-node predates. */
export async function refuseFieldsTooNew(inputs: PeerInputs): Promise<void> {
  const spec = pickSpec(inputs as unknown as Json);
  if (!usesVersionedFields(spec)) return;
  const v = await clusterVersion();
  const bad = v ? fieldsTooNew(spec, v.version, v.source) : [];
  if (bad.length) throw new UnsupportedFieldError(`BGPPeer "${inputs.name}": ${bad.map((e) => e.message).join("; ")}. Nothing was written.`);
}

/** Run one datastore step, turning transport failures into errors that name the endpoints. */
export async function withClient<T>(op: string, fn: (b: Backend) => Promise<T>): Promise<T> {
  const b = backend();
  try {
    return await fn(b);
  } catch (e) {
    throw b.wrap(e, op);
  }
}

/**
 * Whether `kv` holds what writing `value` left there. The Kubernetes API server gives a created
 * object its own uid, so there the uid is left out of the comparison.
 */
export function holdsValue(b: Backend, value: string, kv: StoredKV | undefined): boolean {
  if (kv === undefined || kv.unreadable) return false;
  if (kv.value === value) return true;
  if (!b.assignsUid) return false;
  const { sameButUid } = require("./datastore/kube") as typeof import("./datastore/kube");
  return sameButUid(value, kv);
}

/**
 * Whether a stored peer is this stack's own write that state never recorded: by the uid a create
 * of this stack gives it (uid.ts), or, where the datastore assigns uids (Kubernetes), by the
 * stack's mark.
 */
export function ownedByStack(b: Backend, owner: string | undefined, stored: StoredPeer): boolean {
  if (b.assignsUid) return owner !== undefined && markOf(stored) === owner;
  return isOwnUid(owner, stored.name, stored.uid);
}

/**
 * A guarded write whose outcome is not known: every attempt failed in transport (a timeout or a
 * reset can hide a write that landed), or a retry met what an earlier attempt wrote. It is
 * resolved by reading the key back and asking `landed` whether what is there is this write.
 */
async function write<T>(
  op: string,
  name: string,
  fn: (b: Backend) => Promise<T>,
  landed: (kv: StoredKV | undefined) => boolean,
): Promise<{ result: T } | { landed: StoredKV | undefined }> {
  try {
    return { result: await withClient(op, fn) };
  } catch (e) {
    if (!(e instanceof UnreachableError)) throw e;
    let kv: StoredKV | undefined;
    try {
      kv = await withClient(`${op} (reading back)`, (c) => c.getPeer(name));
    } catch {
      throw e.restate(
        `${e.summary}. The ${op} of BGPPeer "${name}" may or may not have happened: the datastore could not be read back either. Run \`pulumi refresh\` once ${storeName()} answers, then \`pulumi up\`.`,
      );
    }
    if (landed(kv)) return { landed: kv };
    throw e.restate(`${e.summary}. Read back: BGPPeer "${name}" in the datastore is not what this ${op} would have written, so it did not happen.`);
  }
}

/** structproto rejects undefined, so results go through JSON. */
export function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

export function sortedJson(m: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function pickKeys(m: Record<string, string>, keys: Iterable<string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const k of keys) if (k in m) out[k] = m[k];
  return Object.keys(out).length ? out : undefined;
}

/** The stored object minus what we manage: kept in state so that an update is one transaction. */
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
  return plain({
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

/**
 * Put `value` under If(Mod(key) == rev), as update and adopt do: the revision it landed at, or the
 * failed transaction's result. A write whose own bytes are already there (an earlier attempt that
 * landed before a retry, or before its answer was lost) counts as done.
 */
async function replaceValue(
  op: string,
  inputs: PeerInputs,
  value: string,
  rev: string,
): Promise<{ stored: StoredKV } | { failed: { current?: StoredKV; missingFilters: string[] } }> {
  const b = backend();
  const ours = (kv: StoredKV | undefined) => holdsValue(b, value, kv);
  const w = await write(op, inputs.name, (c) => c.updatePeer(inputs.name, value, rev, inputs.filters ?? []), ours);
  if ("landed" in w) return { stored: w.landed! };
  const res = w.result;
  if (res.ok) return { stored: res.stored ?? { value, modRevision: res.revision } };
  if (ours(res.current)) return { stored: res.current! };
  return { failed: res };
}

/** The stack that last wrote the peer, from its mark (OWNER_ANNOTATION), if any. */
export function markOf(meta: { annotations?: Record<string, string> } | undefined): string | undefined {
  const m = meta?.annotations?.[OWNER_ANNOTATION];
  return m === undefined || m === "" ? undefined : m;
}

/**
 * Another stack's mark on a peer this write would take over, update or delete: refused, naming
 * that stack, unless the inputs take it over explicitly (adopt: "force").
 */
export function foreignMark(name: string, mark: string | undefined, inputs: { __owner?: string; adopt?: boolean | "force" }, what: string): string | undefined {
  if (mark === undefined || mark === inputs.__owner || inputs.adopt === "force") return undefined;
  return `BGPPeer "${name}" is managed by the Pulumi stack "${mark}" (its ${OWNER_ANNOTATION} annotation), not by this one${inputs.__owner ? ` ("${inputs.__owner}")` : ""}; it was not ${what}, and nothing was written. Two stacks managing one peer overwrite each other: have the other stack let go of it first (retainOnDelete, then remove it there), or take it over on purpose with \`adopt: "force"\`.`;
}

export function filterError(name: string, missing: string[]): FilterMissingError {
  return new FilterMissingError(
    `BGPPeer "${name}": filters: BGPFilter ${missing.map((m) => `"${m}"`).join(", ")} not found in ${storeName()}. Create the BGPFilter first (Calico rejects a peer whose filters do not exist).`,
    missing,
  );
}

function conflictError(name: string, inState: string, current: StoredKV): ConflictError {
  return new ConflictError(
    `BGPPeer "${name}" was changed outside Pulumi: ${storeName()} has resourceVersion ${current.modRevision}, state has ${inState}. Nothing was written. Run \`pulumi refresh\` to see the change, then \`pulumi up\` to apply your program over it.`,
  );
}

export function decodeKV(name: string, kv: StoredKV): StoredPeer {
  if (kv.unreadable) throw new UnreadableValueError(peerKey(name), kv.unreadable);
  return decodeValue(peerKey(name), kv.value);
}

/**
 * Taking over a stored peer: the value to write (its uid, creationTimestamp and unmanaged parts
 * kept), and whether the stored object already says all of it, in which case nothing is written.
 */
export function adoption(inputs: PeerInputs, kv: StoredKV): { stored: StoredPeer; managed: Managed; value: string; same: boolean } {
  const stored = decodeKV(inputs.name, kv);
  // A peer this stack wrote itself (its uid says so) is taken back, not adopted.
  const managed = { ...managedBy(inputs), adopt: inputs.adopt || undefined };
  const { labels: labelKeys, annotations: annotationKeys } = managed;
  const preserved = preservedParts(stored, labelKeys, annotationKeys);
  const meta = { uid: stored.uid || randomUUID(), creationTimestamp: stored.creationTimestamp || nowTimestamp() };
  const value = desiredValue(inputs, meta, preserved);
  const current = decodeValue(peerKey(inputs.name), value);
  const same =
    SPEC_FIELDS.every((f) => specEqual(f, stored.spec[f], current.spec[f])) &&
    sortedJson(pickKeys(stored.labels, labelKeys)) === sortedJson(inputs.labels) &&
    sortedJson(pickKeys(stored.annotations, annotationKeys)) === sortedJson(inputs.annotations) &&
    stored.uid !== undefined &&
    stored.creationTimestamp !== undefined &&
    // Taken from another stack (adopt: "force"): written, so that its mark names this stack now.
    (markOf(stored) === undefined || markOf(stored) === inputs.__owner);
  return { stored, managed, value, same };
}

async function adopt(inputs: PeerInputs, kv: StoredKV): Promise<PeerOutputs> {
  const { stored, managed, value, same } = adoption(inputs, kv);
  if (same) return outputsFrom(stored, kv.modRevision, managed);
  const r = await replaceValue("adopt", inputs, value, kv.modRevision);
  if ("failed" in r) {
    const { current, missingFilters } = r.failed;
    if (current && current.modRevision === kv.modRevision && missingFilters.length) throw filterError(inputs.name, missingFilters);
    throw new ConflictError(`BGPPeer "${inputs.name}" changed while it was being adopted; nothing was written. Run \`pulumi up\` again.`);
  }
  return outputsFrom(decodeKV(inputs.name, r.stored), r.stored.modRevision, managed);
}

/**
 * Every write runs the rules again on what it is about to write: the engine calls check first, but
 * a script driving the exported provider directly may not, and a value still unknown at preview
 * (the engine's placeholder string) would otherwise pass every rule.
 */
export function assertWritable(inputs: PeerInputs): void {
  const { __provider, ...rest } = inputs as PeerInputs & { __provider?: unknown };
  const unknown = Object.keys(rest).filter((k) => containsUnknown((rest as Record<string, unknown>)[k]));
  if (unknown.length) {
    throw new InvalidInputError(
      `BGPPeer "${inputs.name}": ${unknown.join(", ")} is still unknown (Pulumi's placeholder for a value known only after an up); nothing was written.`,
    );
  }
  const { failures } = checkInputs(rest);
  if (failures.length) throw new InvalidInputError(`BGPPeer "${inputs.name}": ${failures.map((f) => f.message).join("; ")}; nothing was written.`);
}

/**
 * Create: If(Version(key) == 0) Put with a new uid and creationTimestamp. An existing peer is taken
 * over with adopt, or when its uid is the one this stack gives it (an earlier create of this stack
 * that state never recorded); any other is refused.
 */
export async function createObject(inputs: PeerInputs): Promise<PeerOutputs> {
  assertWritable(inputs);
  await refuseFieldsTooNew(inputs);
  const meta = { uid: createUid(inputs.__owner, inputs.name), creationTimestamp: nowTimestamp() };
  const value = desiredValue(inputs, meta, undefined);
  const b = backend();
  // Ours if the key holds the uid this create generated (where the datastore assigns uids: the
  // object it wrote): an attempt that landed before a retry, or before the answer was lost.
  const ours = (kv: StoredKV | undefined) => kv !== undefined && (b.assignsUid ? holdsValue(b, value, kv) : decodeKV(inputs.name, kv).uid === meta.uid);
  const w = await write("create", inputs.name, (c) => c.createPeer(inputs.name, value, inputs.filters ?? []), ours);
  if ("landed" in w) return outputsFrom(decodeKV(inputs.name, w.landed!), w.landed!.modRevision, managedBy(inputs));
  const res = w.result;
  if (res.ok) {
    const stored = res.stored ?? { value, modRevision: res.revision };
    return outputsFrom(decodeKV(inputs.name, stored), stored.modRevision, managedBy(inputs));
  }
  if (!res.current) throw filterError(inputs.name, res.missingFilters);
  // Ours by its uid: a retry that met what its first attempt wrote, or an earlier up of this stack
  // whose outcome state never recorded. Taken as it is, or brought to these inputs.
  const existing = decodeKV(inputs.name, res.current);
  // Checked before the uid: a peer this stack created and another stack then took over keeps the uid.
  const foreign = foreignMark(inputs.name, markOf(existing), inputs, "adopted");
  if (foreign) throw new AlreadyExistsError(foreign);
  if (ours(res.current) || ownedByStack(b, inputs.__owner, existing)) return adopt(inputs, res.current);
  if (!inputs.adopt) throw new AlreadyExistsError(alreadyExists(inputs.name, existing, b));
  return adopt(inputs, res.current);
}

/** How long a preview waits for the read of a new peer's key. */
const PREVIEW_READ_MS = 3000;

// Set once etcd could not be reached from check: a preview run where etcd is out of reach (a
// pull-request job without credentials) then waits for one timeout, not one per peer.
let previewReadsFailed = false;

/**
 * A read made at preview, for what create would meet in etcd: `{ skipped: true }` when etcd
 * cannot be reached (the preview then says nothing, and create still refuses or adopts).
 */
export async function previewRead<T>(op: string, fn: (b: Backend) => Promise<T>): Promise<{ value: T } | { skipped: true }> {
  if (previewReadsFailed) return { skipped: true };
  const read = withClient(op, fn);
  // A preview does not wait out the retries a write gets: etcd answers within PREVIEW_READ_MS or
  // the preview goes on without the read (its outcome, if any, is dropped).
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(resolve, PREVIEW_READ_MS, "late");
  });
  try {
    const r = await Promise.race([read, late]);
    if (r === "late") {
      read.catch(() => undefined);
      previewReadsFailed = true;
      return { skipped: true };
    }
    return { value: r as T };
  } catch (e) {
    if (!(e instanceof UnreachableError)) throw e;
    previewReadsFailed = true;
    return { skipped: true };
  } finally {
    clearTimeout(timer);
  }
}

/** The fields adopting `existing` would change, as "field: old => new". */
export function adoptionChanges(existing: StoredPeer, inputs: PeerInputs): string[] {
  const changes = SPEC_FIELDS.filter((f) => !specEqual(f, existing.spec[f], inputs[f])).map(
    (f) => `${f}: ${JSON.stringify(existing.spec[f]) ?? "(unset)"} => ${JSON.stringify(inputs[f]) ?? "(unset)"}`,
  );
  for (const field of ["labels", "annotations"] as const) {
    for (const [k, v] of Object.entries(inputs[field] ?? {})) {
      if (existing[field][k] !== v) changes.push(`${field}.${k}: ${JSON.stringify(existing[field][k]) ?? "(unset)"} => ${JSON.stringify(v)}`);
    }
  }
  return changes;
}

/**
 * What a preview can tell about a new peer before it is created: an existing object under its
 * name, and the fields adopting it would change. One Range per new peer.
 */
export async function previewCreate(inputs: PeerInputs): Promise<{ existing: StoredPeer; changes: string[] } | undefined> {
  const r = await previewRead("preview read", (c) => c.getPeer(inputs.name));
  if ("skipped" in r || !r.value) return undefined;
  const existing = decodeKV(inputs.name, r.value);
  return { existing, changes: adoptionChanges(existing, inputs) };
}

/** The message for a peer that exists and may not be taken over; `when` says what stopped. */
export function alreadyExists(name: string, existing: StoredPeer, b?: Backend): string {
  return `BGPPeer "${name}" already exists in ${storeName(b)} (uid ${existing.uid ?? "none"}, created ${existing.creationTimestamp ?? "at an unknown time"}) and is not managed by this stack; nothing was written. To bring it under Pulumi management, set \`adopt: true\` on this BgpPeer: the next \`pulumi up\` takes it over, keeps its uid and creationTimestamp, and writes only if its spec differs.`;
}

/** Read: the stored object as outputs, or undefined when the key is gone. */
export async function readObject(name: string, managed: Managed): Promise<PeerOutputs | undefined> {
  const kv = await withClient("read", (c) => c.getPeer(name));
  return kv && outputsFrom(decodeKV(name, kv), kv.modRevision, managed);
}

/** Update: If(Mod(key) == resourceVersion) Put, keeping uid, creationTimestamp and everything unmanaged. */
export async function updateObject(olds: PeerOutputs, inputs: PeerInputs): Promise<PeerOutputs> {
  assertWritable(inputs);
  // The write is guarded by the revision state recorded, so the mark state recorded is the one there.
  const foreign = foreignMark(inputs.name, markOf(olds.preserved?.metadata as { annotations?: Record<string, string> }), inputs, "updated");
  if (foreign) throw new ConflictError(foreign);
  await refuseFieldsTooNew(inputs);
  const value = desiredValue(inputs, olds, olds.preserved);
  const r = await replaceValue("update", inputs, value, olds.resourceVersion);
  if (!("failed" in r)) return outputsFrom(decodeKV(inputs.name, r.stored), r.stored.modRevision, managedBy(inputs));
  const res = r.failed;
  if (!res.current) {
    throw new NotFoundError(
      `BGPPeer "${inputs.name}" was deleted outside Pulumi; nothing was written. Run \`pulumi refresh\` to drop it from state, then \`pulumi up\` to create it again.`,
    );
  }
  if (res.current.modRevision === olds.resourceVersion && res.missingFilters.length) throw filterError(inputs.name, res.missingFilters);
  throw conflictError(inputs.name, olds.resourceVersion, res.current);
}

/** Delete: If(Mod(key) == resourceVersion) Delete; gone already is fine, a different object (uid) is not. */
export async function deleteObject(props: PeerOutputs & { __owner?: string }): Promise<void> {
  const name = props.name;
  const owner = { __owner: props.__owner };
  const recorded = foreignMark(name, markOf(props.preserved?.metadata as { annotations?: Record<string, string> }), owner, "deleted");
  if (recorded) throw new ConflictError(recorded);
  let rev = props.resourceVersion;
  // At most two rounds: the second only when the same object (same uid) was edited out of band.
  for (let round = 0; round < 2; round++) {
    // Gone is what a delete wants, whoever removed it: an earlier attempt that landed, or someone else.
    const w = await write(
      "delete",
      name,
      (c) => c.deletePeer(name, rev, props.uid),
      (kv) => kv === undefined,
    );
    if ("landed" in w) return;
    const res = w.result;
    if (res.ok || !res.current) return;
    const current = decodeKV(name, res.current);
    const taken = foreignMark(name, markOf(current), owner, "deleted");
    if (taken) throw new ConflictError(taken);
    if (current.uid !== props.uid) {
      throw new ConflictError(
        `BGPPeer "${name}" in ${storeName()} is a different object from the one this stack created (uid ${current.uid ?? "none"} in ${storeName()}, ${props.uid} in state): it was deleted and re-created outside Pulumi, so it was not deleted. Run \`pulumi refresh\` to take the new object into state, or delete it with calicoctl.`,
      );
    }
    rev = res.current.modRevision;
  }
  throw new ConflictError(`BGPPeer "${name}" kept changing while it was being deleted; it was not deleted. Run \`pulumi refresh\` and try again.`);
}
