import { type Backend, type Stored, storedOf, type WriteResult } from "../datastore/api";
import { InvalidInputError, UnreachableError } from "../datastore/errors";
import { nowTimestamp } from "../model/codec";
import { OWNER_ANNOTATION } from "../model/keys";
import { checkInputs, containsUnknown, type PeerInputs } from "../model/spec";
import { type Decision, decide, heldOf, recordedValue } from "./decide";
import { inputsOf, type Managed, managedBy, outputsFrom, type PeerOutputs } from "./outputs";
import { filterError, refusalError, unsettledError } from "./refusals";
import { backend, refuseFieldsTooNew, withClient } from "./session";

/**
 * One BgpPeer's create, read, update and delete, as libcalico-go's clientv3 does them over its
 * backend: one request each when nothing unexpected is there. Each write is what the decision
 * (decide.ts) chose for what state says the datastore holds; when the guarded write meets
 * something else, the decision is asked again with what is really there.
 */

/** Outputs keep the declaring stack, so that delete (which sees outputs only) knows whose mark is its own. */
export function withOwner(outs: PeerOutputs, from: { __owner?: unknown } | undefined): PeerOutputs {
  return typeof from?.__owner === "string" ? { ...outs, __owner: from.__owner } : outs;
}

/** JSON with every object's keys sorted: the engine hands inputs back with their keys sorted. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

// Normalized inputs that check found valid in this process. A set's up runs check and then create
// in the same provider process, and running every peer's rules a second time before the write was
// a tenth of a set's own work; bounded, since a provider process can serve many ups.
const vouched = new Set<string>();
const MAX_VOUCHED = 200_000;

/** Records inputs that check returned as valid (no unknowns), so that assertWritable need not run the rules again. */
export function vouchFor(inputs: PeerInputs): void {
  if (vouched.size >= MAX_VOUCHED) vouched.clear();
  vouched.add(canonicalJson(inputs));
}

/**
 * Every write runs the rules again on what it is about to write: the engine calls check first, but
 * a script driving the exported provider directly may not, and a value still unknown at preview
 * (the engine's placeholder string) would otherwise pass every rule. Inputs this process's check
 * vouched for, byte for byte, have passed them already.
 */
export function assertWritable(inputs: PeerInputs): void {
  const { __provider, ...rest } = inputs as PeerInputs & { __provider?: unknown };
  if (vouched.size && vouched.has(canonicalJson(rest))) return;
  const unknown = Object.keys(rest).filter((k) => containsUnknown((rest as Record<string, unknown>)[k]));
  if (unknown.length) {
    throw new InvalidInputError({
      peer: inputs.name,
      reason: `${unknown.join(", ")} is still unknown (Pulumi's placeholder for a value known only after an up)`,
      problems: [`${unknown.join(", ")} is still unknown (Pulumi's placeholder for a value known only after an up)`],
      written: "nothing",
    });
  }
  const { failures } = checkInputs(rest);
  if (failures.length) {
    const problems = failures.map((f) => f.message);
    throw new InvalidInputError({ peer: inputs.name, reason: problems.join("; "), problems, written: "nothing" });
  }
}

/**
 * A write whose outcome is not known: every attempt failed in transport (a timeout or a reset can
 * hide a write that landed). It is resolved by reading the key back and asking `landed` whether
 * what is there is this write.
 */
async function settle<T>(
  op: string,
  name: string,
  fn: (b: Backend) => Promise<T>,
  landed: (kv: Stored | undefined) => boolean,
): Promise<{ result: T } | { landed: Stored | undefined }> {
  try {
    return { result: await withClient(op, fn) };
  } catch (e) {
    if (!(e instanceof UnreachableError)) throw e;
    let kv: Stored | undefined;
    try {
      kv = await withClient(`${op} (reading back)`, (c) => c.getPeer(name));
    } catch {
      throw e.restate({
        written: "unknown",
        reason: `${e.reason.replace(/\.$/, "")}. The ${op} of BGPPeer "${name}" may or may not have happened: the datastore could not be read back either`,
        remedy: `Run \`pulumi refresh\` once ${backend().storeName} answers, then \`pulumi up\`.`,
      });
    }
    if (landed(kv)) return { landed: kv };
    throw e.restate({
      written: "nothing",
      reason: `${e.reason.replace(/\.$/, "")}. Read back: BGPPeer "${name}" in the datastore is not what this ${op} would have written, so it did not happen`,
    });
  }
}

type Operation = "create" | "update" | "delete";

/**
 * Runs one peer's decision and its write until the datastore is where the decision wants it. The
 * first decision is made on what state says is stored (`assumed`), so that the usual case is one
 * request; a guard that fails brings what is really stored, and the decision is made again on it.
 * Returns the outputs, or undefined for a delete (and for a keep of what state recorded).
 */
async function converge(
  op: Operation,
  name: string,
  assumed: Stored | undefined,
  ask: (stored: Stored | undefined, attempted: string | undefined) => Decision,
  write: { filters: string[]; managed: Managed; owner?: string },
): Promise<{ outputs?: PeerOutputs; kept?: "recorded" }> {
  const b = backend();
  let stored = assumed;
  let attempted: string | undefined;
  for (let round = 0; round < 3; round++) {
    const d = ask(stored, attempted);
    if (d.act === "refuse") throw refusalError(d.refusal, { name, store: b.storeName, owner: write.owner, operation: op });
    if (d.act === "keep") {
      if (d.from === "recorded" || !stored) return { kept: "recorded" };
      return { outputs: outputsFrom(heldOf(name, stored)!.peer, stored.modRevision, write.managed) };
    }
    if (d.act === "delete") {
      const guard = d.rev;
      const uid = stored?.peer?.uid;
      // Gone is what a delete wants, whoever removed it: an earlier attempt that landed, or someone else.
      const w = await settle(
        "delete",
        name,
        (c) => c.deletePeer(name, guard, uid),
        (kv) => kv === undefined,
      );
      if ("landed" in w || w.result.ok || !w.result.current) return {};
      stored = w.result.current;
      continue;
    }
    const value = d.value;
    attempted = value;
    const guardRev = d.act === "update" ? d.rev : undefined;
    const w = await settle(
      d.why === "create" ? "create" : d.why === "update" ? "update" : "adopt",
      name,
      (c) => (guardRev === undefined ? c.createPeer(name, value, write.filters) : c.updatePeer(name, value, guardRev, write.filters)),
      (kv) => b.holds(value, kv),
    );
    const res: WriteResult = "landed" in w ? { ok: true, revision: w.landed!.modRevision, stored: w.landed } : w.result;
    if (res.ok) {
      const now = res.stored ?? storedOf(name, value, res.revision);
      return { outputs: outputsFrom(heldOf(name, now)!.peer, now.modRevision, write.managed) };
    }
    // The guard held but a BGPFilter is missing: another round would meet the same.
    if (res.missingFilters.length && (guardRev === undefined ? !res.current : res.current?.modRevision === guardRev)) {
      throw filterError(name, b.storeName, res.missingFilters);
    }
    stored = res.current;
  }
  throw unsettledError(name, b.storeName, op);
}

/** What state recorded of a peer, in the decision's terms. */
function recordedOf(olds: PeerOutputs) {
  const { uid, creationTimestamp, resourceVersion, preserved } = olds;
  return { inputs: inputsOf(olds), meta: { uid, creationTimestamp, resourceVersion, preserved } };
}

/**
 * What state says is stored: the value its last write left, at the revision it recorded, with the
 * mark state recorded (which a refresh may have found to be another stack's).
 */
function assumedFrom(recorded: ReturnType<typeof recordedOf>): Stored {
  const { __owner, ...inputs } = recorded.inputs;
  return storedOf(inputs.name, recordedValue({ inputs, meta: recorded.meta }), recorded.meta.resourceVersion);
}

/**
 * Create: If(Version(key) == 0) Put with the stack's uid and a creationTimestamp. An existing peer
 * is taken over with adopt, or when it is this stack's own earlier write; any other is refused.
 */
export async function createObject(inputs: PeerInputs): Promise<PeerOutputs> {
  assertWritable(inputs);
  await refuseFieldsTooNew(inputs);
  const now = nowTimestamp();
  const b = backend();
  const r = await converge(
    "create",
    inputs.name,
    undefined,
    (stored, attempted) =>
      decide({ name: inputs.name, declared: inputs, stored: heldOf(inputs.name, stored), owner: inputs.__owner, adopt: inputs.adopt, attempted, now }, b),
    { filters: inputs.filters ?? [], managed: managedBy(inputs), owner: inputs.__owner },
  );
  return r.outputs!;
}

/** Update: If(Mod(key) == resourceVersion) Put, keeping uid, creationTimestamp and everything unmanaged. */
export async function updateObject(olds: PeerOutputs, inputs: PeerInputs): Promise<PeerOutputs> {
  assertWritable(inputs);
  await refuseFieldsTooNew(inputs);
  const recorded = recordedOf(olds);
  const b = backend();
  const r = await converge(
    "update",
    inputs.name,
    assumedFrom(recorded),
    (stored, attempted) =>
      decide({ name: inputs.name, declared: inputs, recorded, stored: heldOf(inputs.name, stored), owner: inputs.__owner, adopt: inputs.adopt, attempted }, b),
    { filters: inputs.filters ?? [], managed: managedBy(inputs), owner: inputs.__owner },
  );
  return r.outputs ?? outputsFrom(heldOf(inputs.name, assumedFrom(recorded))!.peer, olds.resourceVersion, managedBy(inputs));
}

/** Delete: If(Mod(key) == resourceVersion) Delete; gone already is fine, a different object (uid) is not. */
export async function deleteObject(props: PeerOutputs & { __owner?: string }): Promise<void> {
  const recorded = recordedOf(props);
  const b = backend();
  await converge(
    "delete",
    props.name,
    assumedFrom(recorded),
    (stored) => decide({ name: props.name, recorded, stored: heldOf(props.name, stored), owner: props.__owner }, b),
    { filters: [], managed: managedBy(props), owner: props.__owner },
  );
}

/**
 * Read: the stored object as outputs, or undefined when the key is gone. `"all"` (an import)
 * manages every label and annotation the peer has, but a stack's mark.
 */
export async function readObject(name: string, managed: Managed | "all"): Promise<PeerOutputs | undefined> {
  const kv = await withClient("read", (c) => c.getPeer(name));
  if (!kv) return undefined;
  const peer = heldOf(name, kv)!.peer;
  const m =
    managed === "all" ? { labels: Object.keys(peer.labels), annotations: Object.keys(peer.annotations).filter((k) => k !== OWNER_ANNOTATION) } : managed;
  return outputsFrom(peer, kv.modRevision, m);
}
