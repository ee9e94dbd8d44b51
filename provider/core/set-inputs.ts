import { OWNER_KEY } from "../model/keys";
import { checkInputs, containsUnknown, UNKNOWN } from "../model/spec";
import { plain } from "./outputs";
import { vouchFor } from "./peer";
import { configuredVersion } from "./session";
import { peerInputs, type SetInputs, type SetPeer } from "./set";

/**
 * A set's inputs as every adapter takes them (the dynamic BgpPeerSet and RackPeers, the native
 * calico:index:BgpPeerSet): BgpPeer's rules on every peer, the failures named by peer, and the
 * peers keyed by Calico name, so that a diff reads `peers["<name>"].<field>`.
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
  if (!unknownNames) {
    for (const [key, peer] of Object.entries(peers)) {
      const p = peerInputs(key, peer, out.adopt as SetInputs["adopt"], out[OWNER_KEY] as string | undefined);
      if (!containsUnknown(p)) vouchFor(p);
    }
  }
  return { inputs: plain(out) as unknown as SetInputs, failures };
}

function sortedByKey<T>(m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
