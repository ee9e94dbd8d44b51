import type * as dynamic from "@pulumi/pulumi/dynamic";
import { setChanges } from "../core/changes";
import { plain } from "../core/outputs";
import { previewNew } from "../core/preview";
import { configuredVersion } from "../core/session";
import { createSet, deleteSet, peerInputs, readSet, type SetInputs, type SetOutputs, type SetPeer, updateSet } from "../core/set";
import { OWNER_KEY } from "../model/keys";
import { checkInputs, containsUnknown, UNKNOWN } from "../model/spec";
import { impl as peerImpl } from "./peer-provider";

/**
 * The Pulumi adapter of BgpPeerSet (and RackPeers, which is a BgpPeerSet): check runs BgpPeer's
 * rules on every peer and keys the peers by Calico name, so the engine's diff of the set's inputs
 * reads `peers["<name>"].<field>`. Loaded by set-shim.ts, as peer-provider.ts is by shim.ts.
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

// The longest change list diff prints for one set: the engine's own diff shows the rest.
const MAX_CHANGE_LINES = 40;

export const impl = {
  configure: peerImpl.configure,

  async check(olds: Json, news: Json): Promise<dynamic.CheckResult> {
    const { inputs, failures } = checkSet(news);
    if (!inputs) return { failures };
    if (inputs.peers === (UNKNOWN as unknown) || JSON.stringify(inputs).includes(UNKNOWN)) return { inputs };
    // Peers new to the set: the decision the up will make for each, on what the datastore holds now.
    const before = (olds?.peers ?? {}) as Json;
    const added = Object.keys(inputs.peers).filter((n) => !(n in before));
    const found = await previewNew(
      added.map((n) => peerInputs(n, inputs.peers[n], undefined, inputs.__owner)),
      { owner: inputs.__owner, adopt: inputs.adopt, set: inputs.name },
    );
    // A refusal of the set as a whole, worded as the up would word it.
    if ("refusal" in found) return { failures: [{ property: "", reason: found.refusal.message }] };
    for (const n of found.notes) console.error(n);
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
