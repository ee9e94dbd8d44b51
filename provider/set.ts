import {
  adoption,
  alreadyExists,
  assertWritable,
  backend,
  decodeKV,
  desiredValue,
  filterError,
  foreignMark,
  holdsValue,
  type Managed,
  managedBy,
  markOf,
  outputsFrom,
  ownedByStack,
  type PeerOutputs,
  plain,
  refuseFieldsTooNew,
  storeName,
  withClient,
} from "./client";
import type { Backend } from "./datastore/backend";
import { AlreadyExistsError, ConflictError, DatastoreError, NotFoundError, UnreachableError } from "./datastore/errors";
import { MAX_TXN_OPS, type SetWrite, type StoredKV } from "./datastore/store";
import { ETCD_MAX_REQUEST_BYTES, nowTimestamp, peerKey } from "./model/codec";
import { OWNER_ANNOTATION } from "./model/keys";
import type { PeerInputs } from "./model/spec";
import { createUid } from "./model/uid";

/**
 * The client layer for a set of peers managed as one Pulumi resource (BgpPeerSet, RackPeers).
 * Every peer is the object a BgpPeer with the same inputs writes: the same value encoding, uid and
 * creationTimestamp, adoption and preserved fields, all from client.ts. What differs is the
 * transport: one read for the whole set (up to 128 peers a request), and its writes packed into as few transactions as etcd
 * takes, each write guarded per key as BgpPeer guards its one.
 */

type Json = Record<string, unknown>;

/** A peer of a set as check normalizes it: BgpPeer's inputs without the name (the map's key) and adopt (the set's). */
export type SetPeer = Omit<PeerInputs, "name" | "adopt">;

export interface SetInputs {
  /** The set's own name (the Pulumi resource name); no Calico object has it. */
  name: string;
  /** The peers by Calico name. */
  peers: Record<string, SetPeer>;
  adopt?: boolean | "force";
  /** The declaring stack, "<project>/<stack>", set by the resource class: it fixes the uid a create gives. */
  __owner?: string;
}

/** What etcd and Calico assigned to one peer, as a BgpPeer keeps it in its outputs. */
export interface StoredMeta {
  uid: string;
  creationTimestamp: string;
  resourceVersion: string;
  preserved?: Json;
}

export interface SetOutputs extends SetInputs {
  stored: Record<string, StoredMeta>;
}

// The request-size budget of one transaction, below --max-request-bytes by a margin for the
// compares, the Else reads and gRPC framing.
const MAX_TXN_BYTES = ETCD_MAX_REQUEST_BYTES - 64 * 1024;

export function peerInputs(name: string, p: SetPeer, adopt?: boolean | "force", owner?: string): PeerInputs {
  return plain({ ...p, name, adopt: adopt || undefined, __owner: owner }) as PeerInputs;
}

function split(outs: PeerOutputs): [SetPeer, StoredMeta] {
  const { name, adopt, scope, uid, creationTimestamp, resourceVersion, preserved, ...peer } = outs;
  return [peer, plain({ uid, creationTimestamp, resourceVersion, preserved })];
}

/** The value a peer's last recorded state describes: what the stack last wrote or adopted. */
function recordedValue(name: string, p: SetPeer, meta: StoredMeta, owner: string | undefined): string {
  return desiredValue(peerInputs(name, p, undefined, owner), meta, meta.preserved);
}

/** A peer's share of a plan: the write it needs, if any, and its outputs once that is done. */
interface Step {
  name: string;
  write?: SetWrite;
  /** Outputs after the write (given what the datastore then holds), or undefined for a peer that leaves the set. */
  after?: (stored: StoredKV) => PeerOutputs;
}

function written(name: string, managed: Managed): (stored: StoredKV) => PeerOutputs {
  return (stored) => outputsFrom(decodeKV(name, stored), stored.modRevision, managed);
}

/** Names quoted, each with its detail if any, the first `limit` of them. */
function describeList(names: (string | [string, string])[], limit = 10): string {
  const shown = names.slice(0, limit).map((n) => (typeof n === "string" ? `"${n}"` : `"${n[0]}" (${n[1]})`));
  return names.length > limit ? `${shown.join(", ")} and ${names.length - limit} more` : shown.join(", ");
}

/**
 * Plans an up of the set from `olds` (undefined for a create) to `news` against what etcd holds.
 * Every refusal (a peer that exists without adopt, a peer changed or deleted outside Pulumi) is
 * found here, before anything is written.
 *
 * A peer's bytes decide whether it is this stack's, not its revision alone: a peer whose value is
 * exactly what the stack recorded, or exactly what this up would write, is the stack's own. That
 * is what lets a rerun after a partly failed up converge: chunks that landed are recognized and
 * not written again.
 */
function plan(b: Backend, setName: string, olds: SetOutputs | undefined, news: SetInputs | undefined, current: Map<string, StoredKV>): Step[] {
  const steps: Step[] = [];
  const exists: string[] = [];
  const changed: [string, string][] = [];
  const deleted: string[] = [];
  const foreign: [string, string][] = [];
  const owner = news?.__owner ?? olds?.__owner;
  const who = { __owner: owner, adopt: news?.adopt };
  const theirs = (name: string, kv: StoredKV | undefined): boolean => {
    const mark = kv && markOf(decodeKV(name, kv));
    if (!mark || !foreignMark(name, mark, who, "written")) return false;
    foreign.push([name, `stack "${mark}"`]);
    return true;
  };
  const names = [...new Set([...Object.keys(olds?.peers ?? {}), ...Object.keys(news?.peers ?? {})])].sort();
  for (const name of names) {
    const kv = current.get(name);
    const oldPeer = olds?.peers[name];
    const meta = olds?.stored[name];
    const newPeer = news?.peers[name];
    if (newPeer && !(oldPeer && meta)) {
      const inputs = peerInputs(name, newPeer, news?.adopt, owner);
      if (!kv) {
        const value = desiredValue(inputs, { uid: createUid(owner, name), creationTimestamp: nowTimestamp() }, undefined);
        steps.push({ name, write: { op: "create", name, value, filters: inputs.filters ?? [] }, after: written(name, managedBy(inputs)) });
      } else if (theirs(name, kv)) {
        // Another stack's peer (also one this stack created before it was taken over): refused below.
      } else if (!news?.adopt && !ownedByStack(b, owner, decodeKV(name, kv))) {
        exists.push(name);
      } else {
        // Adopted, or this stack's own write that state never recorded (its uid says so; in Kubernetes, its mark).
        const a = adoption(inputs, kv);
        const managed = { ...a.managed, adopt: undefined };
        if (a.same) steps.push({ name, after: () => outputsFrom(a.stored, kv.modRevision, managed) });
        else
          steps.push({
            name,
            write: { op: "update", name, value: a.value, rev: kv.modRevision, filters: inputs.filters ?? [] },
            after: written(name, managed),
          });
      }
      continue;
    }
    if (!oldPeer || !meta) continue;
    const recorded = recordedValue(name, oldPeer, meta, owner);
    const ours = kv !== undefined && (kv.modRevision === meta.resourceVersion || holdsValue(b, recorded, kv));
    const keep = (): PeerOutputs => plain({ ...oldPeer, name, ...meta }) as PeerOutputs;
    if (!newPeer) {
      if (!kv || theirs(name, kv)) continue;
      // As BgpPeer's delete: an out-of-band edit of the same object (same uid) does not stop it.
      if (ours || decodeKV(name, kv).uid === meta.uid) steps.push({ name, write: { op: "delete", name, rev: kv.modRevision } });
      else changed.push([name, `a different object: uid ${decodeKV(name, kv).uid ?? "none"} in ${storeName(b)}, ${meta.uid} in state`]);
      continue;
    }
    const inputs = peerInputs(name, newPeer, undefined, owner);
    const value = desiredValue(inputs, meta, meta.preserved);
    if (value === recorded) {
      // Unchanged in the program: nothing to write. Drift stays drift, for refresh to show.
      steps.push({ name, after: kv && ours ? () => outputsFrom(decodeKV(name, kv), kv.modRevision, managedBy(inputs)) : keep });
    } else if (!kv) {
      deleted.push(name);
    } else if (holdsValue(b, value, kv)) {
      // Written by an earlier up that failed in a later chunk.
      steps.push({ name, after: () => outputsFrom(decodeKV(name, kv), kv.modRevision, managedBy(inputs)) });
    } else if (theirs(name, kv)) {
      // Refused above: taken over by another stack.
    } else if (ours) {
      steps.push({
        name,
        write: { op: "update", name, value, rev: kv.modRevision, filters: inputs.filters ?? [] },
        after: written(name, managedBy(inputs)),
      });
    } else {
      changed.push([name, `${storeName(b)} has resourceVersion ${kv.modRevision}, state has ${meta.resourceVersion}`]);
    }
  }
  const refusals: string[] = [];
  if (foreign.length)
    refusals.push(
      `${foreign.length} peer(s) are managed by other Pulumi stacks (their ${OWNER_ANNOTATION} annotation): ${describeList(foreign)}. Two stacks managing one peer overwrite each other: have the other stacks let go of them first, or take them over on purpose with \`adopt: "force"\` on the set`,
    );
  if (exists.length) {
    const first = exists[0];
    refusals.push(
      `${exists.length} peer(s) already exist in ${storeName(b)} and are not managed by this stack: ${describeList(exists)}. ${alreadyExists(
        first,
        decodeKV(first, current.get(first)!),
        b,
      )
        .replace(/^BGPPeer "[^"]*" already exists in [^(]*\([^)]*\) and is not managed by this stack; nothing was written\. /, "")
        .replace("on this BgpPeer", "on the set")}`,
    );
  }
  if (changed.length)
    refusals.push(
      `${changed.length} peer(s) were changed outside Pulumi: ${describeList(changed)}. Run \`pulumi refresh\` to see the changes, then \`pulumi up\` to apply your program over them`,
    );
  if (deleted.length)
    refusals.push(
      `${deleted.length} peer(s) were deleted outside Pulumi: ${describeList(deleted)}. Run \`pulumi refresh\` to drop them from state, then \`pulumi up\` to create them again`,
    );
  if (refusals.length) {
    const Err = exists.length || foreign.length ? AlreadyExistsError : changed.length ? ConflictError : NotFoundError;
    throw new Err(`BgpPeerSet "${setName}": ${refusals.join("; ")}. Nothing was written.`);
  }
  return steps;
}

/** Writes packed into transactions: at most MAX_TXN_OPS compares (one per peer, one per BGPFilter named) and MAX_TXN_BYTES. */
export function chunk(writes: SetWrite[], maxOps = MAX_TXN_OPS): SetWrite[][] {
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
function landed(b: Backend, writes: readonly SetWrite[], current: Map<string, StoredKV>): boolean {
  return writes.every((w) => (w.op === "delete" ? !current.has(w.name) : holdsValue(b, w.value, current.get(w.name))));
}

/**
 * Commits `writes` chunk by chunk. A chunk whose answer was lost is read back; one whose guard
 * failed (a peer changed after the plan's read) stops the run. Then the peers this run created
 * are deleted again, guarded by the revision it gave them, so that state (which records nothing
 * of a failed step) and etcd agree; its updates and deletes stay, and the rerun recognizes them.
 */
async function commit(b: Backend, setName: string, writes: SetWrite[]): Promise<Map<string, StoredKV>> {
  const revisions = new Map<string, string>();
  const stored = new Map<string, StoredKV>();
  const created: SetWrite[] = [];
  for (const part of chunk(writes, b.maxBatch)) {
    let outcome: { revision: string; stored?: Map<string, StoredKV> } | { failure: Error };
    try {
      const res = await withClient("write", (c) => c.commitChunk(part));
      if (res.ok) outcome = { revision: res.revision, stored: res.stored };
      else if (landed(b, part, res.current)) outcome = { revision: maxRevision(part, res.current), stored: res.current };
      else outcome = { failure: chunkFailure(part, res.current, res.missingFilters) };
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw await undone(setName, e as Error, created, revisions);
      let now: Map<string, StoredKV>;
      try {
        now = await withClient("write (reading back)", (c) => c.getPeersIn(part.map((w) => w.name)));
      } catch {
        throw await undone(
          setName,
          e,
          created,
          revisions,
          `may or may not have landed: ${storeName(b)} could not be read back (its peers: ${describeList(part.map((w) => w.name))})`,
        );
      }
      if (!landed(b, part, now)) throw await undone(setName, e, created, revisions);
      outcome = { revision: maxRevision(part, now), stored: now };
    }
    if ("failure" in outcome) throw await undone(setName, outcome.failure, created, revisions);
    for (const w of part) {
      // etcd: every peer of a transaction is at its revision, as written; Kubernetes: as the server answered.
      const kv = outcome.stored?.get(w.name) ?? (w.op === "delete" ? undefined : { value: w.value, modRevision: outcome.revision });
      revisions.set(w.name, kv?.modRevision ?? outcome.revision);
      if (kv) stored.set(w.name, kv);
      if (w.op === "create") created.push(w);
    }
  }
  return stored;
}

function maxRevision(part: readonly SetWrite[], current: Map<string, StoredKV>): string {
  const revs = part.map((w) => current.get(w.name)?.modRevision).filter((r): r is string => r !== undefined);
  return revs.sort((a, b) => (BigInt(a) < BigInt(b) ? 1 : -1))[0] ?? "0";
}

function chunkFailure(part: readonly SetWrite[], current: Map<string, StoredKV>, missingFilters: string[]): Error {
  if (missingFilters.length) return filterError(part.find((w) => w.op !== "delete" && w.filters.some((f) => missingFilters.includes(f)))!.name, missingFilters);
  const moved = part.filter((w) => {
    const kv = current.get(w.name);
    return w.op === "create" ? kv !== undefined : kv === undefined ? w.op === "update" : kv.modRevision !== w.rev;
  });
  return new ConflictError(
    `peer(s) changed in ${storeName()} while this up ran: ${describeList(moved.map((w) => w.name))}. Run \`pulumi refresh\`, then \`pulumi up\``,
  );
}

/** The error of a failed run, after deleting the peers it created (see commit): the cause's own class, with the whole story. */
async function undone(setName: string, cause: Error, created: SetWrite[], revisions: Map<string, string>, uncertain?: string): Promise<Error> {
  const said = cause instanceof DatastoreError ? cause.summary : cause.message;
  const head = `BgpPeerSet "${setName}": ${said.replace(/\.$/, "")}${uncertain ? ` (the last transaction ${uncertain})` : ""}.`;
  const tell = (summary: string) => {
    if (cause instanceof DatastoreError) cause.restate(summary);
    else cause.message = summary;
    return cause;
  };
  if (!created.length) return tell(`${head} Transactions before it were applied; \`pulumi up\` again converges.`);
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
  return tell(
    left.length
      ? `${head} ${left.length} of the ${created.length} peer(s) this run created could not be deleted again and are in ${storeName()} but not in state: ${describeList(left)}. Set \`adopt: true\` on the set and run \`pulumi up\`: it takes them over, without a write where they are as declared.`
      : `${head} The ${created.length} peer(s) this run had created were deleted again; updates and deletes before it were applied. \`pulumi up\` again converges.`,
  );
}

function outputs(name: string, adopt: boolean | "force" | undefined, owner: string | undefined, all: PeerOutputs[]): SetOutputs {
  const peers: Record<string, SetPeer> = {};
  const stored: Record<string, StoredMeta> = {};
  for (const o of [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    [peers[o.name], stored[o.name]] = split(o);
  }
  return plain({ name, peers, adopt: adopt || undefined, __owner: owner, stored });
}

async function run(setName: string, olds: SetOutputs | undefined, news: SetInputs | undefined): Promise<SetOutputs | undefined> {
  const names = [...new Set([...Object.keys(olds?.peers ?? {}), ...Object.keys(news?.peers ?? {})])];
  for (const [name, p] of Object.entries(news?.peers ?? {})) assertWritable(peerInputs(name, p, news?.adopt, news?.__owner));
  const b = backend();
  const current = await withClient("read", (c) => c.getPeersIn(names));
  const steps = plan(b, setName, olds, news, current);
  for (const s of steps) {
    if (!s.write || s.write.op === "delete") continue;
    await refuseFieldsTooNew(peerInputs(s.name, news!.peers[s.name]));
    const w = s.write;
    await withClient("check", (c) => c.refuseUnstorable(w.name, w.value));
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

/** The set as etcd holds it, from one read per 128 peers; undefined when none of its peers is left. */
export async function readSet(props: SetOutputs): Promise<SetOutputs | undefined> {
  const names = Object.keys(props.peers ?? {});
  const current = await withClient("read", (c) => c.getPeersIn(names));
  if (names.length && current.size === 0) return undefined;
  const all: PeerOutputs[] = [];
  for (const [name, kv] of current) all.push(outputsFrom(decodeKV(name, kv), kv.modRevision, managedBy(props.peers[name])));
  return outputs(props.name, props.adopt, props.__owner, all);
}
