import { SPEC_FIELDS, specEqual } from "../model/spec";

/**
 * The one change-list formatter: what differs between two versions of a peer, a line each, as a
 * preview prints it under the resource (the engine's own diff of a dynamic resource cannot name
 * fields inside a set's peers, nor what an adoption changes in the datastore).
 */

type Fields = Record<string, unknown> & { labels?: Record<string, string>; annotations?: Record<string, string> };

const show = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));

/**
 * The fields of `b` that differ from `a`, as `<at>.field: old => new` (labels and annotations key
 * by key). With `declaredOnly`, only the label and annotation keys `b` declares count: an adoption
 * leaves the others alone.
 */
export function fieldChanges(a: Fields, b: Fields, at = "", declaredOnly = false): string[] {
  const prefix = at ? `${at}.` : "";
  const out = SPEC_FIELDS.filter((f) => !specEqual(f, a[f], b[f])).map((f) => `${prefix}${f}: ${show(a[f])} => ${show(b[f])}`);
  for (const m of ["labels", "annotations"] as const) {
    const x = a[m] ?? {};
    const y = b[m] ?? {};
    const keys = declaredOnly ? Object.keys(y) : [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
    for (const k of keys) if (x[k] !== y[k]) out.push(`${prefix}${m}["${k}"]: ${show(x[k])} => ${show(y[k])}`);
  }
  return out;
}

/**
 * Every change between two versions of a set's peers, a line each: `+`, `-`, or `~` per field.
 * `label` names a peer: a set's `peers["name"]`, or the CLI's diff's `BGPPeer(name)`.
 */
export function setChanges(a: Record<string, Fields>, b: Record<string, Fields>, label = (n: string) => `peers["${n}"]`): string[] {
  const out: string[] = [];
  for (const n of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (!a[n]) out.push(`+ ${label(n)}`);
    else if (!b[n]) out.push(`- ${label(n)}`);
    else out.push(...fieldChanges(a[n], b[n], label(n)).map((c) => `~ ${c}`));
  }
  return out;
}
