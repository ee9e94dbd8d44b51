import { peerOf, type Stored } from "../datastore/api";
import { decodeValue, nowTimestamp, peerKey, type StoredPeer } from "../model/codec";
import { type PeerInputs, SPEC_FIELDS, specEqual } from "../model/spec";
import { createUid, markOf } from "../model/uid";
import { desiredValue, pickKeys, preservedParts, type StoredMeta, sortedJson } from "./outputs";

/**
 * The one decision every write of a peer goes through, for a BgpPeer and for each peer of a set,
 * at preview and at up: given what the program declares, what state recorded and what the
 * datastore holds, whether the peer is this stack's, adopted, another stack's, changed outside
 * Pulumi or left over from a killed up, and so whether to write it, keep it or refuse.
 *
 * It is pure: it reads nothing and writes nothing. The two facts that depend on the datastore
 * (what a write leaves there, and how a stack's own write is recognized) come from the backend as
 * functions, so the same cases give the same answers on etcd, on Kubernetes and in memory.
 */

/** What the decision asks of the datastore (datastore/api.ts Backend answers both). */
export interface Judge {
  /** Whether `stored` holds what writing `value` left there. */
  holds(value: string, stored: Held | undefined): boolean;
  /** Whether `peer` is this stack's own write that state never recorded. */
  isOwnWrite(owner: string | undefined, peer: StoredPeer): boolean;
}

/** A stored peer as the decision sees it: decoded (peerOf raises for one that cannot be read), with its revision. */
export interface Held {
  value: string;
  modRevision: string;
  peer: StoredPeer;
}

export function heldOf(name: string, kv: Stored | undefined): Held | undefined {
  return kv && { value: kv.value, modRevision: kv.modRevision, peer: peerOf(name, kv) };
}

export interface Case {
  name: string;
  /** The peer's inputs as the program declares them now (normalized by check); undefined when it is to be deleted. */
  declared?: PeerInputs;
  /** What state recorded: the inputs of the last write or adoption and what the datastore assigned then. */
  recorded?: { inputs: PeerInputs; meta: StoredMeta };
  /** What the datastore holds now under the peer's name (decoded), or undefined when nothing. */
  stored?: Held;
  /** The declaring stack, "<project>/<stack>". */
  owner?: string;
  /** The resource's adopt: a BgpPeer's own, or the set's for each of its peers. */
  adopt?: boolean | "force";
  /** The value this operation already tried to write, if any: a retry may meet it landed. */
  attempted?: string;
  /** The creationTimestamp a create gives (the clock is the caller's). */
  now?: string;
}

/** Why a write is refused: the data each refusal's message is built from (refusals.ts). */
export type Refusal =
  /** Another stack's mark is on the peer, and adopt is not "force". */
  | { kind: "foreign"; mark: string; what: "adopted" | "updated" | "deleted" }
  /** The peer exists, is not this stack's, and adopt is not set. */
  | { kind: "exists"; uid?: string; created?: string }
  /** The peer changed outside Pulumi since state recorded it. */
  | { kind: "changed"; storedRev: string; recordedRev: string }
  /** The peer was deleted outside Pulumi. */
  | { kind: "deleted" }
  /** The peer was deleted and re-created outside Pulumi: another object under its name. */
  | { kind: "replaced"; storedUid?: string; recordedUid: string };

/** Why a write or a keep was chosen: what a preview tells and what the outputs come from. */
export type Why = "create" | "update" | "adopt" | "reclaim" | "delete" | "unchanged" | "landed" | "gone";

export type Decision =
  | { act: "create"; value: string; why: "create" }
  | { act: "update"; value: string; rev: string; why: "update" | "adopt" | "reclaim" }
  | { act: "delete"; rev: string; why: "delete" }
  /** Nothing to write: the outputs come from what is stored (`from: "stored"`) or from what state recorded. */
  | { act: "keep"; from: "stored" | "recorded"; why: "adopt" | "reclaim" | "unchanged" | "landed" | "gone" }
  | { act: "refuse"; refusal: Refusal };

/** The value a peer's recorded state describes: what the stack last wrote or adopted. */
export function recordedValue(recorded: { inputs: PeerInputs; meta: StoredMeta }): string {
  return desiredValue(recorded.inputs, recorded.meta, recorded.meta.preserved);
}

/**
 * Whether two declarations of a peer mean the same to Calico: every field equal as specEqual
 * compares them (two spellings of an address, numAllowedLocalASNumbers 0 and unset), and the same
 * labels, annotations and stack.
 */
function declaresTheSame(a: PeerInputs, b: PeerInputs): boolean {
  return (
    SPEC_FIELDS.every((f) => specEqual(f, a[f], b[f])) &&
    sortedJson(a.labels) === sortedJson(b.labels) &&
    sortedJson(a.annotations) === sortedJson(b.annotations) &&
    a.__owner === b.__owner
  );
}

/** A mark that is not the declaring stack's, unless it is taken over on purpose. */
function foreignMark(peer: StoredPeer | undefined, owner: string | undefined, adopt: Case["adopt"]): string | undefined {
  const mark = markOf(peer);
  return mark === undefined || mark === owner || adopt === "force" ? undefined : mark;
}

/**
 * Taking over a stored peer: the value to write (its uid, creationTimestamp and unmanaged parts
 * kept), and whether the stored object already says all of it, in which case nothing is written
 * (and `value` is the stored text). `storedValue` is the stored text: when it is the bytes the
 * adoption would write, but for the stack's mark (a peer calicoctl wrote as the program declares
 * it, every peer of an import's first up), it says all of it without decoding anything again.
 */
export function adoption(inputs: PeerInputs, stored: StoredPeer, now: string, storedValue?: string): { value: string; same: boolean } {
  const labelKeys = Object.keys(inputs.labels ?? {});
  const annotationKeys = Object.keys(inputs.annotations ?? {});
  const preserved = preservedParts(stored, labelKeys, annotationKeys);
  // A peer without a uid (hand-written) gets one, as calicoctl's update would give it.
  const meta = { uid: stored.uid || createUid(undefined, inputs.name), creationTimestamp: stored.creationTimestamp || now };
  const mark = markOf(stored);
  // Kept only with its uid and creationTimestamp; taken from another stack (adopt: "force"), it is
  // written, so that its mark names this stack now.
  const keepable = stored.uid !== undefined && stored.creationTimestamp !== undefined && (mark === undefined || mark === inputs.__owner);
  // Another tool's peer has no mark, and an adoption that writes nothing adds none.
  if (keepable && mark === undefined && storedValue !== undefined && desiredValue({ ...inputs, __owner: undefined }, meta, preserved) === storedValue)
    return { value: storedValue, same: true };
  const value = desiredValue(inputs, meta, preserved);
  const says = (): boolean => {
    if (value === storedValue) return true;
    const written = decodeValue(peerKey(inputs.name), value);
    return (
      SPEC_FIELDS.every((f) => specEqual(f, stored.spec[f], written.spec[f])) &&
      sortedJson(pickKeys(stored.labels, labelKeys)) === sortedJson(inputs.labels) &&
      sortedJson(pickKeys(stored.annotations, annotationKeys)) === sortedJson(inputs.annotations)
    );
  };
  return { value, same: keepable && says() };
}

/** The decision for one peer. `stored.peer` must be decoded: an unreadable peer is the caller's error. */
export function decide(c: Case, judge: Judge): Decision {
  const { declared, recorded, stored } = c;
  const peer = stored?.peer;
  const now = c.now ?? nowTimestamp();

  if (!declared) {
    // Delete: gone already is what a delete wants, whoever removed it.
    if (!recorded || !stored || !peer) return { act: "keep", from: "recorded", why: "gone" };
    const mark = foreignMark(peer, c.owner, c.adopt);
    if (mark) return { act: "refuse", refusal: { kind: "foreign", mark, what: "deleted" } };
    // An out-of-band edit of the same object (same uid) does not stop a delete; another object does.
    const ours = stored.modRevision === recorded.meta.resourceVersion || judge.holds(recordedValue(recorded), stored);
    if (ours || peer.uid === recorded.meta.uid) return { act: "delete", rev: stored.modRevision, why: "delete" };
    return { act: "refuse", refusal: { kind: "replaced", storedUid: peer.uid, recordedUid: recorded.meta.uid } };
  }

  if (!recorded) {
    // New to state: create it, or meet what is there.
    if (!stored || !peer) {
      const value = desiredValue(declared, { uid: createUid(c.owner, declared.name), creationTimestamp: now }, undefined);
      return { act: "create", value, why: "create" };
    }
    if (c.attempted !== undefined && judge.holds(c.attempted, stored)) return { act: "keep", from: "stored", why: "landed" };
    // Checked before the uid: a peer this stack created and another stack then took over keeps the uid.
    const mark = foreignMark(peer, c.owner, c.adopt);
    if (mark) return { act: "refuse", refusal: { kind: "foreign", mark, what: "adopted" } };
    // This stack's own write that state never recorded (its uid or, on Kubernetes, its mark says so) is taken back.
    const own = judge.isOwnWrite(c.owner, peer);
    if (!c.adopt && !own) return { act: "refuse", refusal: { kind: "exists", uid: peer.uid, created: peer.creationTimestamp } };
    const why = own ? "reclaim" : "adopt";
    const a = adoption(declared, peer, now, stored.value);
    return a.same ? { act: "keep", from: "stored", why } : { act: "update", value: a.value, rev: stored.modRevision, why };
  }

  // In state and declared: an update, or nothing.
  const before = recordedValue(recorded);
  const value = desiredValue(declared, recorded.meta, recorded.meta.preserved);
  const ours = stored !== undefined && (stored.modRevision === recorded.meta.resourceVersion || judge.holds(before, stored));
  // Unchanged in the program (the same bytes, or values Calico reads alike): nothing to write.
  // Drift stays drift, for refresh to show.
  if (value === before || declaresTheSame(declared, recorded.inputs)) return { act: "keep", from: ours ? "stored" : "recorded", why: "unchanged" };
  if (!stored || !peer) return { act: "refuse", refusal: { kind: "deleted" } };
  // Written by an earlier attempt: a retry, or an up that failed in a later chunk.
  if (judge.holds(value, stored)) return { act: "keep", from: "stored", why: "landed" };
  // State's revision guards the write, so what state recorded is what is there: its mark too.
  const mark = foreignMark(peer, c.owner, c.adopt);
  if (mark) return { act: "refuse", refusal: { kind: "foreign", mark, what: "updated" } };
  if (ours) return { act: "update", value, rev: stored.modRevision, why: "update" };
  return { act: "refuse", refusal: { kind: "changed", storedRev: stored.modRevision, recordedRev: recorded.meta.resourceVersion } };
}
