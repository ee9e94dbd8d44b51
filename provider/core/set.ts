import { type Backend, type SetWrite, type Stored, storedOf } from "../datastore/api";
import { ConflictError, DatastoreError, UnreachableError } from "../datastore/errors";
import { ETCD_MAX_REQUEST_BYTES, nowTimestamp, peerKey } from "../model/codec";
import { OWNER_ANNOTATION } from "../model/keys";
import type { PeerInputs } from "../model/spec";
import { type Case, decide, heldOf, type Refusal } from "./decide";
import { defined, type Managed, managedBy, outputsFrom, type PeerOutputs, plain, type StoredMeta } from "./outputs";
import { assertWritable } from "./peer";
import { describeList, filterError, setRefusal } from "./refusals";
import { backend, refuseFieldsTooNew, withClient } from "./session";

/**
 * A set of peers managed as one Pulumi resource (BgpPeerSet, RackPeers). Every peer is the object
 * a BgpPeer with the same inputs writes, and every peer's write is what the same decision
 * (decide.ts) chooses for it. What differs is the transport: one read for the whole set (up to
 * 128 peers a request), and its writes packed into as few transactions as etcd takes, each write
 * guarded per key as BgpPeer guards its one.
 */

type Json = Record<string, unknown>;

/**
 * A peer of a set as check normalizes it: BgpPeer's inputs without the name (the map's key) and adopt (the set's).
 *
 * @example
 * ```ts
 * const rack = new RackPeers("rack1", { hosts: ["h1"], tors: [{ ip: "10.1.0.1", asNumber: 65101 }] });
 * export const host1 = rack.peers.apply((p: Record<string, BgpPeerSetPeer>) => p["h1.10-1-0-1"].asNumber);
 * ```
 */
export type SetPeer = Omit<PeerInputs, "name" | "adopt">;

export interface SetInputs {
  /** The set's own name (the Pulumi resource name); no Calico object has it. */
  name: string;
  /** The peers by Calico name. */
  peers: Record<string, SetPeer>;
  /** Take the set's existing peers over; "force" also those another stack manages. */
  adopt?: boolean | "force";
  /** The declaring stack, "<project>/<stack>", set by the resource class: it fixes the uid a create gives. */
  __owner?: string;
}

export type { StoredMeta };

/**
 * A set's state: its inputs, and per peer what the datastore assigned.
 *
 * @example Each peer's uid, from a set's outputs
 * ```ts
 * const rack = new RackPeers("rack1", { hosts: ["h1"], tors: [{ ip: "10.1.0.1", asNumber: 65101 }] });
 * export const uids = rack.stored.apply((s) => Object.fromEntries(Object.entries(s).map(([name, m]) => [name, m.uid])));
 * ```
 */
export interface SetOutputs extends SetInputs {
  /** Per peer, by Calico name: uid, creationTimestamp, resourceVersion, and what the set does not manage. */
  stored: Record<string, StoredMeta>;
}

// The request-size budget of one transaction, below --max-request-bytes by a margin for the
// compares, the Else reads and gRPC framing.
const MAX_TXN_BYTES = ETCD_MAX_REQUEST_BYTES - 64 * 1024;

export function peerInputs(name: string, p: SetPeer, adopt?: boolean | "force", owner?: string): PeerInputs {
  return defined({ ...p, name, adopt: adopt || undefined, __owner: owner }) as PeerInputs;
}

function split(outs: PeerOutputs): [SetPeer, StoredMeta] {
  const { name, adopt, scope, uid, creationTimestamp, resourceVersion, preserved, ...peer } = outs;
  return [peer, defined({ uid, creationTimestamp, resourceVersion, preserved })];
}

/** A peer's share of a plan: the write it needs, if any, and its outputs once that is done. */
interface Step {
  name: string;
  write?: SetWrite;
  /** Outputs after the write (given what the datastore then holds), or undefined for a peer that leaves the set. */
  after?: (stored: Stored) => PeerOutputs;
}

/** One peer's case for the decision: declared in `news`, recorded in `olds`, stored in `current`. */
export function setCase(name: string, olds: SetOutputs | undefined, news: SetInputs | undefined, current: Map<string, Stored>, now: string): Case {
  const owner = news?.__owner ?? olds?.__owner;
  const oldPeer = olds?.peers[name];
  const meta = olds?.stored[name];
  const newPeer = news?.peers[name];
  return {
    name,
    declared: newPeer && peerInputs(name, newPeer, undefined, owner),
    recorded: oldPeer && meta ? { inputs: peerInputs(name, oldPeer, undefined, owner), meta } : undefined,
    stored: heldOf(name, current.get(name)),
    owner,
    adopt: news?.adopt,
    now,
  };
}

/**
 * Plans an up of the set from `olds` (undefined for a create) to `news` against what the datastore
 * holds: each peer's decision. Every refusal is found here, before anything is written, and all of
 * them are reported together.
 *
 * A peer's bytes decide whether it is this stack's, not its revision alone: a peer whose value is
 * exactly what the stack recorded, or exactly what this up would write, is the stack's own. That
 * is what lets a rerun after a partly failed up converge: chunks that landed are recognized and
 * not written again.
 */
function plan(b: Backend, setName: string, olds: SetOutputs | undefined, news: SetInputs | undefined, current: Map<string, Stored>): Step[] {
  const steps: Step[] = [];
  const refused: [string, Refusal][] = [];
  const now = nowTimestamp();
  const names = [...new Set([...Object.keys(olds?.peers ?? {}), ...Object.keys(news?.peers ?? {})])].sort();
  for (const name of names) {
    const c = setCase(name, olds, news, current, now);
    const d = decide(c, b);
    // A set's peers carry no adopt of their own: the set's is in its inputs.
    const managed: Managed = { ...managedBy(c.declared), adopt: undefined };
    const fromStored = (kv: Stored) => outputsFrom(heldOf(name, kv)!.peer, kv.modRevision, managed);
    const filters = c.declared?.filters ?? [];
    switch (d.act) {
      case "refuse":
        refused.push([name, d.refusal]);
        break;
      case "create":
        steps.push({ name, write: { op: "create", name, value: d.value, filters }, after: fromStored });
        break;
      case "update":
        steps.push({ name, write: { op: "update", name, value: d.value, rev: d.rev, filters }, after: fromStored });
        break;
      case "delete":
        steps.push({ name, write: { op: "delete", name, rev: d.rev } });
        break;
      case "keep": {
        if (!c.declared) break;
        const kv = current.get(name)!;
        const recorded = (): PeerOutputs => plain({ ...olds!.peers[name], name, ...olds!.stored[name] }) as PeerOutputs;
        steps.push({ name, after: d.from === "stored" ? () => fromStored(kv) : recorded });
        break;
      }
    }
  }
  if (refused.length) throw setRefusal(setName, b.storeName, refused, news?.__owner ?? olds?.__owner, olds ? (news ? "update" : "delete") : "create");
  return steps;
}

/** Writes packed into transactions: at most MAX_TXN_OPS compares (one per peer, one per BGPFilter named) and MAX_TXN_BYTES. */
export function chunk(writes: SetWrite[], maxOps: number): SetWrite[][] {
  const out: SetWrite[][] = [];
  let cur: SetWrite[] = [];
  let filters = new Set<string>();
  let bytes = 0;
  for (const w of writes) {
    const wFilters = w.op === "delete" ? [] : w.filters.filter((f) => !filters.has(f));
    const wBytes = peerKey(w.name).length + (w.op === "delete" ? 0 : Buffer.byteLength(w.value)) + 64;
    if (cur.length && (cur.length + 1 + filters.size + wFilters.length > maxOps || bytes + wBytes > MAX_TXN_BYTES)) {
      out.push(cur);
      cur = [];
      filters = new Set();
      bytes = 0;
    }
    cur.push(w);
    if (w.op !== "delete") for (const f of w.filters) filters.add(f);
    bytes += wBytes;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Whether what the datastore holds is what `writes` put there (a transaction lands whole or not at all). */
function landed(b: Backend, writes: readonly SetWrite[], current: Map<string, Stored>): boolean {
  return writes.every((w) => (w.op === "delete" ? !current.has(w.name) : b.holds(w.value, current.get(w.name))));
}

/**
 * Commits `writes` chunk by chunk. A chunk whose answer was lost is read back; one whose guard
 * failed (a peer changed after the plan's read) stops the run. Then the peers this run created
 * are deleted again, guarded by the revision it gave them, so that state (which records nothing
 * of a failed step) and etcd agree; its updates and deletes stay, and the rerun recognizes them.
 */
async function commit(b: Backend, setName: string, writes: SetWrite[]): Promise<Map<string, Stored>> {
  const revisions = new Map<string, string>();
  const stored = new Map<string, Stored>();
  const created: SetWrite[] = [];
  for (const part of chunk(writes, b.maxBatch)) {
    let outcome: { revision: string; stored?: Map<string, Stored> } | { failure: Error };
    try {
      const res = await withClient("write", (c) => c.commitChunk(part), b);
      if (res.ok) outcome = { revision: res.revision, stored: res.stored };
      else if (landed(b, part, res.current)) outcome = { revision: maxRevision(part, res.current), stored: res.current };
      else outcome = { failure: chunkFailure(b, part, res.current, res.missingFilters) };
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw await undone(setName, e as Error, created, revisions);
      let now: Map<string, Stored>;
      try {
        now = await withClient("write (reading back)", (c) => c.getPeersIn(part.map((w) => w.name)), b);
      } catch {
        throw await undone(
          setName,
          e,
          created,
          revisions,
          `may or may not have landed: ${b.storeName} could not be read back (its peers: ${describeList(part.map((w) => w.name))})`,
        );
      }
      if (!landed(b, part, now)) throw await undone(setName, e, created, revisions);
      outcome = { revision: maxRevision(part, now), stored: now };
    }
    if ("failure" in outcome) throw await undone(setName, outcome.failure, created, revisions);
    for (const w of part) {
      // etcd: every peer of a transaction is at its revision, as written; Kubernetes: as the server answered.
      const kv = outcome.stored?.get(w.name) ?? (w.op === "delete" ? undefined : storedOf(w.name, w.value, outcome.revision));
      revisions.set(w.name, kv?.modRevision ?? outcome.revision);
      if (kv) stored.set(w.name, kv);
      if (w.op === "create") created.push(w);
    }
  }
  return stored;
}

function maxRevision(part: readonly SetWrite[], current: Map<string, Stored>): string {
  const revs = part.map((w) => current.get(w.name)?.modRevision).filter((r): r is string => r !== undefined);
  return revs.sort((a, b) => (BigInt(a) < BigInt(b) ? 1 : -1))[0] ?? "0";
}

function chunkFailure(b: Backend, part: readonly SetWrite[], current: Map<string, Stored>, missingFilters: string[]): Error {
  if (missingFilters.length) {
    const first = part.find((w) => w.op !== "delete" && w.filters.some((f) => missingFilters.includes(f)))!;
    return filterError(first.name, b.storeName, missingFilters);
  }
  const moved = part.filter((w) => {
    const kv = current.get(w.name);
    return w.op === "create" ? kv !== undefined : kv === undefined ? w.op === "update" : kv.modRevision !== w.rev;
  });
  return new ConflictError({
    datastore: b.storeName,
    reason: `peer(s) changed in ${b.storeName} while this up ran: ${describeList(moved.map((w) => w.name))}`,
    remedy: "Run `pulumi refresh`, then `pulumi up`.",
  });
}

/** The error of a failed run, after deleting the peers it created (see commit): the cause's own class, with the whole story. */
async function undone(setName: string, cause: Error, created: SetWrite[], revisions: Map<string, string>, uncertain?: string): Promise<Error> {
  const tellStory = (story: string) => {
    if (cause instanceof DatastoreError) {
      const reason = `${cause.reason.replace(/\.$/, "")}${uncertain ? ` (the last transaction ${uncertain})` : ""}`;
      return cause.restate({ set: setName, reason, written: created.length ? "partly" : undefined, remedy: [cause.remedy, story].filter(Boolean).join(" ") });
    }
    cause.message = `BgpPeerSet "${setName}": ${cause.message.replace(/\.$/, "")}${uncertain ? ` (the last transaction ${uncertain})` : ""}. ${story}`;
    return cause;
  };
  if (!created.length) return tellStory("Transactions before it were applied; `pulumi up` again converges.");
  const undo: SetWrite[] = created.map((w) => ({ op: "delete", name: w.name, rev: revisions.get(w.name)! }));
  const left: string[] = [];
  let reachable = true;
  const b = backend();
  for (const part of chunk(undo, b.maxBatch)) {
    // A peer changed since this run created it is not this run's to delete: its chunk stays.
    const ok =
      reachable &&
      (await withClient("undo", (c) => c.commitChunk(part)).then(
        (r) => r.ok,
        () => (reachable = false),
      ));
    if (!ok) left.push(...part.map((w) => w.name));
  }
  return tellStory(
    left.length
      ? `${left.length} of the ${created.length} peer(s) this run created could not be deleted again and are in ${b.storeName} but not in state: ${describeList(left)}. Set \`adopt: true\` on the set and run \`pulumi up\`: it takes them over, without a write where they are as declared.`
      : `The ${created.length} peer(s) this run had created were deleted again; updates and deletes before it were applied. \`pulumi up\` again converges.`,
  );
}

/** Whether state of this set keeps each peer's own mark in `preserved`, as sets before 0.2 recorded it. */
function marksKept(olds: SetOutputs | undefined): boolean {
  return Object.values(olds?.stored ?? {}).some(
    (m) => ((m.preserved?.metadata as Json | undefined)?.annotations as Json | undefined)?.[OWNER_ANNOTATION] !== undefined,
  );
}

/**
 * `preserved` without the set's own mark: every write puts the writing stack's mark back
 * (desiredValue), so recording it per peer only made state and every checkpoint of a fabric larger.
 */
function withoutOwnMark(preserved: Json | undefined, owner: string | undefined): Json | undefined {
  const meta = preserved?.metadata as Json | undefined;
  const annotations = meta?.annotations as Record<string, string> | undefined;
  if (!owner || annotations?.[OWNER_ANNOTATION] !== owner) return preserved;
  const { [OWNER_ANNOTATION]: _, ...rest } = annotations;
  const { annotations: __, ...otherMeta } = meta!;
  const slimMeta = Object.keys(rest).length ? { ...otherMeta, annotations: rest } : otherMeta;
  const { metadata: ___, ...other } = preserved!;
  const slim = Object.keys(slimMeta).length ? { ...other, metadata: slimMeta } : other;
  return Object.keys(slim).length ? slim : undefined;
}

function outputs(name: string, adopt: boolean | "force" | undefined, owner: string | undefined, all: PeerOutputs[], keepMarks: boolean): SetOutputs {
  const peers: Record<string, SetPeer> = {};
  const stored: Record<string, StoredMeta> = {};
  for (const o of [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const [peer, meta] = split(o);
    peers[o.name] = peer;
    // State made before 0.2 keeps its form, so that a refresh of it shows no change.
    stored[o.name] = keepMarks ? meta : defined({ ...meta, preserved: withoutOwnMark(meta.preserved, owner) });
  }
  return plain({ name, peers, adopt: adopt || undefined, __owner: owner, stored });
}

async function run(setName: string, olds: SetOutputs | undefined, news: SetInputs | undefined): Promise<SetOutputs | undefined> {
  const names = [...new Set([...Object.keys(olds?.peers ?? {}), ...Object.keys(news?.peers ?? {})])];
  for (const [name, p] of Object.entries(news?.peers ?? {})) assertWritable(peerInputs(name, p, news?.adopt, news?.__owner));
  // One backend for the whole run: resolving the settings per peer cost a set of thousands a third of a second.
  const b = backend();
  const current = await withClient("read", (c) => c.getPeersIn(names), b);
  const steps = plan(b, setName, olds, news, current);
  for (const s of steps) {
    if (!s.write || s.write.op === "delete") continue;
    await refuseFieldsTooNew(peerInputs(s.name, news!.peers[s.name]), b);
    const w = s.write;
    await withClient("check", (c) => c.refuseUnstorable(w.name, w.value), b);
  }
  const stored = await commit(
    b,
    setName,
    steps.flatMap((s) => (s.write ? [s.write] : [])),
  );
  if (!news) return undefined;
  return outputs(
    news.name,
    news.adopt,
    news.__owner,
    steps.flatMap((s) => (s.after ? [s.after(stored.get(s.name) ?? { value: "", modRevision: "" })] : [])),
    marksKept(olds),
  );
}

export async function createSet(news: SetInputs): Promise<SetOutputs> {
  return (await run(news.name, undefined, news))!;
}

export async function updateSet(olds: SetOutputs, news: SetInputs): Promise<SetOutputs> {
  return (await run(news.name, olds, news))!;
}

export async function deleteSet(olds: SetOutputs): Promise<void> {
  await run(olds.name, olds, undefined);
}

/** The set as the datastore holds it, from one read per 128 peers; undefined when none of its peers is left. */
export async function readSet(props: SetOutputs): Promise<SetOutputs | undefined> {
  const names = Object.keys(props.peers ?? {});
  const current = await withClient("read", (c) => c.getPeersIn(names));
  if (names.length && current.size === 0) return undefined;
  const all: PeerOutputs[] = [];
  for (const [name, kv] of current) all.push(outputsFrom(heldOf(name, kv)!.peer, kv.modRevision, managedBy(props.peers[name])));
  return outputs(props.name, props.adopt, props.__owner, all, marksKept(props));
}
