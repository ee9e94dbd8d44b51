import type { Backend, Stored } from "../datastore/api";
import { type DatastoreError, UnreachableError } from "../datastore/errors";
import type { PeerInputs } from "../model/spec";
import { fieldChanges } from "./changes";
import { type Case, decide, heldOf, type Refusal } from "./decide";
import { refusalError, setRefusal } from "./refusals";
import { withClient } from "./session";

/**
 * What a preview can tell about peers new to state before they are created: the same decision the
 * up will make (decide.ts) on what the datastore holds now, so that a pull-request preview fails
 * where the merge's up would, and an adoption says what it changes.
 */

/** How long a preview waits for the read of a new peer's key. */
const PREVIEW_READ_MS = 3000;

// Set once the datastore could not be reached from check: a preview run where it is out of reach
// (a pull-request job without credentials) then waits for one timeout, not one per peer.
let previewReadsFailed = false;

/**
 * A read made at preview: `{ skipped: true }` when the datastore cannot be reached (the preview
 * then says nothing, and the up still refuses or adopts).
 */
export async function previewRead<T>(op: string, fn: (b: Backend) => Promise<T>): Promise<{ value: T } | { skipped: true }> {
  if (previewReadsFailed) return { skipped: true };
  const read = withClient(op, fn);
  // A preview does not wait out the retries a write gets: the datastore answers within
  // PREVIEW_READ_MS or the preview goes on without the read (its outcome, if any, is dropped).
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

/** What the preview found for peers new to state: a refusal, or notes to print (adoptions and take-backs). */
export type PreviewOutcome = { refusal: DatastoreError } | { notes: string[] };

/** One note per peer the up takes over, saying what it changes. */
function note(b: Backend, name: string, why: string, stored: Stored, inputs: PeerInputs): string | undefined {
  const p = stored.peer!;
  const changes = fieldChanges({ ...p.spec, labels: p.labels, annotations: p.annotations }, inputs as unknown as Record<string, unknown>, "", true);
  if (why === "reclaim") {
    return `BGPPeer "${name}" exists in ${b.storeName} with ${b.ownWriteSign} (an earlier up wrote it but did not record it); the up takes it back${changes.length ? ` and changes ${changes.join(", ")}` : " as it is"}`;
  }
  return changes.length ? `BGPPeer "${name}" exists in ${b.storeName}; adopting it will change ${changes.join(", ")}` : undefined;
}

/**
 * The decision for each of `peers` (all new to state) on what the datastore holds: one read per
 * 128 names in etcd. `set` names the set they belong to, for its one refusal of them all.
 */
export async function previewNew(peers: PeerInputs[], opts: { owner?: string; adopt?: boolean | "force"; set?: string }): Promise<PreviewOutcome> {
  if (!peers.length) return { notes: [] };
  const r = await previewRead("preview read", async (c) => ({
    b: c,
    found: peers.length === 1 ? new Map(await single(c, peers[0].name)) : await c.getPeersIn(peers.map((p) => p.name)),
  }));
  if ("skipped" in r || r.value.found.size === 0) return { notes: [] };
  const { b, found } = r.value;
  const refused: [string, Refusal][] = [];
  const notes: string[] = [];
  for (const inputs of peers) {
    const kv = found.get(inputs.name);
    if (!kv) continue;
    const c: Case = { name: inputs.name, declared: inputs, stored: heldOf(inputs.name, kv), owner: opts.owner, adopt: opts.adopt };
    const d = decide(c, b);
    if (d.act === "refuse") refused.push([inputs.name, d.refusal]);
    // An adoption kept as it is changes nothing, so it has nothing to note (and an import's first
    // preview keeps every peer); a take-back is noted either way.
    else if (d.act === "update" || (d.act === "keep" && d.why === "reclaim")) {
      const n = note(b, inputs.name, d.why, kv, inputs);
      if (n) notes.push(n);
    }
  }
  if (!refused.length) return { notes };
  if (opts.set !== undefined) return { refusal: setRefusal(opts.set, b.storeName, refused, opts.owner, "preview") };
  return { refusal: refusalError(refused[0][1], { name: refused[0][0], store: b.storeName, owner: opts.owner, operation: "preview" }) };
}

async function single(c: Backend, name: string): Promise<[string, Stored][]> {
  const kv = await c.getPeer(name);
  return kv ? [[name, kv]] : [];
}
