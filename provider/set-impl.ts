import type * as dynamic from "@pulumi/pulumi/dynamic";
import {
  adoptionChanges,
  alreadyExists,
  backend,
  configuredVersion,
  decodeKV,
  foreignMark,
  markOf,
  ownedByStack,
  plain,
  previewRead,
  storeName,
} from "./client";
import { impl as peerImpl } from "./impl";
import { OWNER_KEY } from "./model/keys";
import { checkInputs, containsUnknown, SPEC_FIELDS, specEqual, UNKNOWN } from "./model/spec";
import { createSet, deleteSet, peerInputs, readSet, type SetInputs, type SetOutputs, type SetPeer, updateSet } from "./set";

/**
 * The Pulumi adapter of BgpPeerSet (and RackPeers, which is a BgpPeerSet): check runs BgpPeer's
 * rules on every peer and keys the peers by Calico name, so the engine's diff of the set's inputs
 * reads `peers["<name>"].<field>`. Loaded by set-shim.ts, as impl.ts is by shim.ts.
 */

type Json = Record<string, unknown>;

function label(entry: unknown, i: number): string {
  const n = (entry as Json | null)?.name;
  return typeof n === "string" && n !== UNKNOWN ? `peers["${n}"]` : `peers[${i}]`;
}

/** Every peer through BgpPeer's check, the failures named by peer; the peers keyed by Calico name. */
export function checkSet(news: Json): { inputs?: SetInputs; failures: { property: string; reason: string }[] } {
  const failures: { property: string; reason: string }[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason: `${property}: ${reason}` });
  const name = news.name;
  if (typeof name !== "string" || name === "") fail("name", "must be the set's name (a non-empty string)");
  if (news.adopt !== undefined && typeof news.adopt !== "boolean" && news.adopt !== "force")
    fail("adopt", `${JSON.stringify(news.adopt)} is not a boolean or "force"`);
  const raw = news.peers;
  for (const k of Object.keys(news)) {
    if (!["name", "peers", "adopt"].includes(k) && !k.startsWith("__")) fail(k, "is not an input of BgpPeerSet (its inputs are peers and adopt)");
  }
  if (raw === UNKNOWN) return failures.length ? { failures } : { inputs: plain({ ...news, peers: UNKNOWN }) as unknown as SetInputs, failures };
  let entries: unknown[];
  if (Array.isArray(raw)) entries = raw;
  else if (raw && typeof raw === "object") {
    // A map's key is the Calico name unless the entry names itself.
    entries = Object.entries(raw as Json).map(([k, v]) => (v && typeof v === "object" && !("name" in v) ? { ...(v as Json), name: k } : v));
  } else {
    fail("peers", "must be a list (or a map by Calico name) of peers");
    return { failures };
  }
  const v = configuredVersion();
  const peers: Record<string, SetPeer> = {};
  let unknownNames = false;
  entries.forEach((entry, i) => {
    const where = label(entry, i);
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
      fail(where, "must be an object of BgpPeer inputs");
      return;
    }
    if ("adopt" in entry) {
      fail(`${where}.adopt`, "set adopt on the set, not on one of its peers");
      return;
    }
    const r = checkInputs(entry as Json, v && { calicoVersion: v.version, versionSource: v.source });
    for (const f of r.failures) fail(`${where}.${f.property}`, f.reason);
    if (!r.inputs) return;
    const { name: peerName, ...peer } = r.inputs as Json;
    if (peerName === UNKNOWN || peerName === undefined) {
      unknownNames = true;
      return;
    }
    const key = peerName as string;
    if (key in peers) fail(`peers["${key}"]`, `appears more than once: two entries have the Calico name "${key}" (one etcd key)`);
    peers[key] = peer as SetPeer;
  });
  if (failures.length) return { failures };
  // A peer whose name is known only after an up: the whole map is, too.
  const out: Json = { name, peers: unknownNames ? UNKNOWN : sortedByKey(peers) };
  if (news.adopt === true || news.adopt === "force") out.adopt = news.adopt;
  if (typeof news[OWNER_KEY] === "string") out[OWNER_KEY] = news[OWNER_KEY];
  return { inputs: plain(out) as unknown as SetInputs, failures };
}

function sortedByKey<T>(m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const show = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));

/** A peer's changed fields, as `peers["<name>"].<field>: old => new`. */
function peerChanges(name: string, a: SetPeer, b: SetPeer): string[] {
  const at = `peers["${name}"]`;
  const out = SPEC_FIELDS.filter((f) => !specEqual(f, a[f], b[f])).map((f) => `~ ${at}.${f}: ${show(a[f])} => ${show(b[f])}`);
  for (const m of ["labels", "annotations"] as const) {
    const x = a[m] ?? {};
    const y = b[m] ?? {};
    for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      if (x[k] !== y[k]) out.push(`~ ${at}.${m}["${k}"]: ${show(x[k])} => ${show(y[k])}`);
    }
  }
  return out;
}

/** Every change between two versions of a set, a line each: what a reviewer reads. */
export function setChanges(a: Record<string, SetPeer>, b: Record<string, SetPeer>): string[] {
  const out: string[] = [];
  for (const n of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (!a[n]) out.push(`+ peers["${n}"]`);
    else if (!b[n]) out.push(`- peers["${n}"]`);
    else out.push(...peerChanges(n, a[n], b[n]));
  }
  return out;
}

// The longest change list diff prints for one set: the engine's own diff shows the rest.
const MAX_CHANGE_LINES = 40;

export const impl = {
  configure: peerImpl.configure,

  async check(olds: Json, news: Json): Promise<dynamic.CheckResult> {
    const { inputs, failures } = checkSet(news);
    if (!inputs) return { failures };
    if (inputs.peers === (UNKNOWN as unknown) || JSON.stringify(inputs).includes(UNKNOWN)) return { inputs };
    // Peers new to the set: say at preview what the up would meet in etcd (one read per 128 peers).
    const before = (olds?.peers ?? {}) as Json;
    const added = Object.keys(inputs.peers).filter((n) => !(n in before));
    if (added.length) {
      const r = await previewRead("preview read", (c) => c.getPeersIn(added));
      if ("value" in r && r.value.size) {
        const existing = new Map([...r.value].map(([n, kv]) => [n, decodeKV(n, kv)] as const));
        // Peers with the uid this stack gives them are its own writes, which the up takes back.
        const found = [...existing].filter(([, p]) => !ownedByStack(backend(), inputs.__owner, p)).map(([n]) => n);
        const foreign = [...existing].map(([n, p]) => foreignMark(n, markOf(p), inputs, "adopted")).filter((m) => m !== undefined);
        if (foreign.length) {
          return {
            failures: [{ property: "", reason: `${foreign[0]}${foreign.length > 1 ? ` (and ${foreign.length - 1} more of this set's peers)` : ""}` }],
          };
        }
        if (!inputs.adopt && found.length) {
          const first = alreadyExists(found[0], existing.get(found[0])!);
          const more =
            found.length > 1 ? ` (and ${found.length - 1} more of this set's peers: ${found.slice(1, 11).join(", ")}${found.length > 11 ? ", …" : ""})` : "";
          return {
            failures: [{ property: "peers", reason: `peers["${found[0]}"]: ${first.replace("on this BgpPeer", "on this set")}${more}` }],
          };
        }
        for (const [n, p] of existing) {
          const changes = adoptionChanges(p, peerInputs(n, inputs.peers[n]));
          if (changes.length) console.error(`BGPPeer "${n}" exists in ${storeName()}; taking it over will change ${changes.join(", ")}`);
        }
      }
    }
    return { inputs };
  },

  async diff(_id: string, olds: SetOutputs, news: SetInputs): Promise<dynamic.DiffResult> {
    if (containsUnknown(news.peers)) return { changes: true };
    const changes = setChanges(olds.peers ?? {}, news.peers ?? {});
    // The dynamic provider protocol has no detailed diff, so the engine shows the whole peers map;
    // this summary, which the CLI prints under the set, names just what changes.
    if (changes.length) {
      const shown = changes.slice(0, MAX_CHANGE_LINES);
      if (changes.length > shown.length) shown.push(`… and ${changes.length - shown.length} more changes`);
      console.error(`BgpPeerSet "${news.name}": ${changes.length} change(s):\n  ${shown.join("\n  ")}`);
    }
    return { changes: changes.length > 0, replaces: [], deleteBeforeReplace: false };
  },

  async create(news: SetInputs): Promise<dynamic.CreateResult> {
    const outs = await createSet(news);
    return { id: outs.name, outs };
  },

  async read(id: string, props?: SetOutputs): Promise<dynamic.ReadResult> {
    if (!props?.peers) {
      throw new Error(`BgpPeerSet "${id}": there is no state to read it from; a set can only be read once an up has created or adopted it.`);
    }
    const outs = await readSet(props);
    if (!outs) return { id: "" };
    const { stored, ...inputs } = outs;
    return { id, props: outs, inputs: plain(inputs) };
  },

  async update(_id: string, olds: SetOutputs, news: SetInputs): Promise<dynamic.UpdateResult> {
    return { outs: await updateSet(olds, news) };
  },

  async delete(_id: string, props: SetOutputs): Promise<void> {
    await deleteSet(props);
  },
};

export type SetImpl = typeof impl;
