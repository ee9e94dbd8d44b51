import { AlreadyExistsError, ConflictError, type DatastoreError, FilterMissingError, NotFoundError } from "../datastore/errors";
import { OWNER_ANNOTATION } from "../model/keys";
import type { Refusal } from "./decide";

/**
 * The words for every refusal the decision (decide.ts) makes, for one peer and for a set: the one
 * home of their wording. Each becomes a typed error whose fields say the peer, the datastore, the
 * operation and that nothing was written; a set's error carries one such error per peer.
 */

export interface Context {
  /** The peer's Calico name. */
  name: string;
  /** "etcd" or "the Kubernetes datastore". */
  store: string;
  owner?: string;
  operation?: string;
  /** Who sets adopt: "this BgpPeer" or "the set". */
  adoptOn?: string;
}

/** One peer's refusal as its typed error. */
export function refusalError(r: Refusal, c: Context): DatastoreError {
  const base = { peer: c.name, datastore: c.store, operation: c.operation, written: "nothing" as const };
  switch (r.kind) {
    case "foreign": {
      const Err = r.what === "adopted" ? AlreadyExistsError : ConflictError;
      return new Err({
        ...base,
        reason: `is managed by the Pulumi stack "${r.mark}" (its ${OWNER_ANNOTATION} annotation), not by this one${c.owner ? ` ("${c.owner}")` : ""}; it was not ${r.what}`,
        remedy: `Two stacks managing one peer overwrite each other: have the other stack let go of it first (retainOnDelete, then remove it there), or take it over on purpose with \`adopt: "force"\`.`,
      });
    }
    case "exists":
      return new AlreadyExistsError({
        ...base,
        reason: `already exists in ${c.store} (uid ${r.uid ?? "none"}, created ${r.created ?? "at an unknown time"}) and is not managed by this stack`,
        remedy: `To bring it under Pulumi management, set \`adopt: true\` on ${c.adoptOn ?? "this BgpPeer"}: the next \`pulumi up\` takes it over, keeps its uid and creationTimestamp, and writes only if its spec differs.`,
      });
    case "changed":
      return new ConflictError({
        ...base,
        reason: `was changed outside Pulumi: ${c.store} has resourceVersion ${r.storedRev}, state has ${r.recordedRev}`,
        remedy: "Run `pulumi refresh` to see the change, then `pulumi up` to apply your program over it.",
      });
    case "deleted":
      return new NotFoundError({
        ...base,
        reason: "was deleted outside Pulumi",
        remedy: "Run `pulumi refresh` to drop it from state, then `pulumi up` to create it again.",
      });
    case "replaced":
      return new ConflictError({
        ...base,
        reason: `in ${c.store} is a different object from the one this stack created (uid ${r.storedUid ?? "none"} in ${c.store}, ${r.recordedUid} in state): it was deleted and re-created outside Pulumi, so it was not deleted`,
        remedy: "Run `pulumi refresh` to take the new object into state, or delete it with calicoctl.",
      });
  }
}

/** A BGPFilter the peer names is missing. */
export function filterError(name: string, store: string, missing: string[]): FilterMissingError {
  return new FilterMissingError(
    {
      peer: name,
      datastore: store,
      reason: `filters: BGPFilter ${missing.map((m) => `"${m}"`).join(", ")} not found in ${store}`,
      problems: [`filters: BGPFilter ${missing.map((m) => `"${m}"`).join(", ")} not found in ${store}`],
      written: "nothing",
      remedy: "Create the BGPFilter first (Calico rejects a peer whose filters do not exist).",
    },
    missing,
  );
}

/** A peer that kept changing while this operation ran. */
export function unsettledError(name: string, store: string, operation: string): ConflictError {
  return new ConflictError({
    peer: name,
    datastore: store,
    operation,
    reason: `kept changing in ${store} while it was being ${operation === "delete" ? "deleted" : "written"}`,
    written: "nothing",
    remedy: "Run `pulumi refresh`, then `pulumi up` again.",
  });
}

/** Names quoted, each with its detail if any, the first `limit` of them. */
export function describeList(names: (string | [string, string])[], limit = 10): string {
  const shown = names.slice(0, limit).map((n) => (typeof n === "string" ? `"${n}"` : `"${n[0]}" (${n[1]})`));
  return names.length > limit ? `${shown.join(", ")} and ${names.length - limit} more` : shown.join(", ");
}

/**
 * A set's refusals as one error: the peers grouped by kind, each group with its remedy, and the
 * per-peer errors in `peers`. Its class is the first group's (another stack's or existing peers,
 * then changed, then deleted ones).
 */
export function setRefusal(set: string, store: string, refused: [string, Refusal][], owner?: string, operation?: string): DatastoreError {
  const of = (...kinds: Refusal["kind"][]) => refused.filter(([, r]) => kinds.includes(r.kind));
  const foreign = of("foreign");
  const exists = of("exists");
  const changed = of("changed", "replaced");
  const deleted = of("deleted");
  const groups: string[] = [];
  if (foreign.length)
    groups.push(
      `${foreign.length} peer(s) are managed by other Pulumi stacks (their ${OWNER_ANNOTATION} annotation): ${describeList(foreign.map(([n, r]) => [n, `stack "${(r as { mark: string }).mark}"`]))}. Two stacks managing one peer overwrite each other: have the other stacks let go of them first, or take them over on purpose with \`adopt: "force"\` on the set`,
    );
  if (exists.length)
    groups.push(
      `${exists.length} peer(s) already exist in ${store} and are not managed by this stack: ${describeList(exists.map(([n]) => n))}. To bring them under Pulumi management, set \`adopt: true\` on the set: the next \`pulumi up\` takes them over, keeps their uid and creationTimestamp, and writes only where their spec differs`,
    );
  if (changed.length)
    groups.push(
      `${changed.length} peer(s) were changed outside Pulumi: ${describeList(
        changed.map(([n, r]) => [
          n,
          r.kind === "changed"
            ? `${store} has resourceVersion ${r.storedRev}, state has ${r.recordedRev}`
            : `a different object: uid ${(r as { storedUid?: string }).storedUid ?? "none"} in ${store}, ${(r as { recordedUid: string }).recordedUid} in state`,
        ]),
      )}. Run \`pulumi refresh\` to see the changes, then \`pulumi up\` to apply your program over them`,
    );
  if (deleted.length)
    groups.push(
      `${deleted.length} peer(s) were deleted outside Pulumi: ${describeList(deleted.map(([n]) => n))}. Run \`pulumi refresh\` to drop them from state, then \`pulumi up\` to create them again`,
    );
  const Err = exists.length || foreign.length ? AlreadyExistsError : changed.length ? ConflictError : NotFoundError;
  const peers = refused.map(([name, r]) => refusalError(r, { name, store, owner, operation, adoptOn: "the set" }));
  return new Err({ set, datastore: store, operation, reason: groups.join("; "), written: "nothing", peers });
}
