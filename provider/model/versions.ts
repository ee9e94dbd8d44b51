import { RuleError, show } from "./errors";
import { FIELDS, type FieldDef, type PeerSpec, SPEC_FIELDS } from "./fields";
import { parsePeerIP } from "./ip";

/** A Calico release, as ClusterInformation's calicoVersion or calico:calicoVersion gives it ("v3.31.0"). */
export interface CalicoVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

// Release tags and calico-node's calicoVersion: "v3.31.0", "3.32", "v3.32.0-0.dev-12-g…" (a pre-release
// counts as its release).
const VERSION = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/;

export function parseCalicoVersion(text: string): CalicoVersion | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: text.trim() };
}

/** Whether `v` is `since` or later (major, minor, patch). */
export function atLeast(v: CalicoVersion, since: string): boolean {
  const s = parseCalicoVersion(since)!;
  return v.major !== s.major ? v.major > s.major : v.minor !== s.minor ? v.minor > s.minor : v.patch >= s.patch;
}

// The release each field came in is its field table entry's `since` (fields.ts), from the API's git
// history at every release tag (shared/reference/calico-bgppeer-datastore.md, "Since"). A release
// that predates a field ignores it: Go's JSON decoder drops unknown fields. nextHopMode and
// reversePeering came to the v3.30 line in patch releases; password's back-port to a v3.16 patch
// release is not counted, so v3.16 clusters are told it needs v3.17.
const BASELINE = "v3.0.0";

/** peerIP took "<IP>:<port>" forms from v3.16 (plain IPs only before). */
const PEER_PORT_SINCE = "v3.16.0";

/** Whether a spec uses anything newer than Calico v3.0, so that the cluster's version matters. */
export function usesVersionedFields(spec: PeerSpec): boolean {
  return SPEC_FIELDS.some((f) => spec[f] !== undefined && FIELDS[f].since !== BASELINE) || hasPort(spec.peerIP);
}

/** Whether the peer address has a port, as the peerIP rule itself parses it (ip.ts). */
function hasPort(peerIP: string | undefined): boolean {
  if (peerIP === undefined) return false;
  try {
    return parsePeerIP("peerIP", peerIP).port !== undefined;
  } catch {
    return false;
  }
}

/**
 * What Calico `version` would not take in `spec`, each as a rule failure naming the field, the
 * release the rule comes from, and the version in force: fields its calico-node would ignore or
 * misread, and values longer than its CRD allows (the selectors' 1024 from v3.33.0).
 */
export function fieldsTooNew(spec: PeerSpec, version: CalicoVersion, source: string): RuleError[] {
  const out: RuleError[] = [];
  for (const field of SPEC_FIELDS) {
    const def: FieldDef = FIELDS[field];
    const value = spec[field];
    if (def.maxLengthFrom && typeof value === "string" && value.length > def.maxLengthFrom.maxLength && atLeast(version, def.maxLengthFrom.since)) {
      out.push(
        new RuleError(
          field,
          `${show(`${value.slice(0, 40)}…`)} is ${value.length} characters long: Calico ${version.text} (${source}) takes at most ${def.maxLengthFrom.maxLength} (its CRD's limit from ${def.maxLengthFrom.since} on; ${def.maxLength} before)`,
        ),
      );
    }
    const since = def.since;
    if (spec[field] !== undefined && !atLeast(version, since)) {
      out.push(
        new RuleError(
          field,
          `is not supported by Calico ${version.text} (${source}): calico-node reads ${field} from Calico ${since} on and would ignore it. Upgrade Calico, or leave ${field} out`,
        ),
      );
    }
  }
  if (hasPort(spec.peerIP) && !atLeast(version, PEER_PORT_SINCE)) {
    out.push(
      new RuleError(
        "peerIP",
        `${show(spec.peerIP)} has a port, which Calico ${version.text} (${source}) does not support: calico-node reads "<IP>:<port>" from Calico ${PEER_PORT_SINCE} on`,
      ),
    );
  }
  return out;
}
