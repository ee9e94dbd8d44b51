import { RuleError, show } from "./errors";
import type { PeerSpec, SpecField } from "./spec";

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

function atLeast(v: CalicoVersion, since: string): boolean {
  const s = parseCalicoVersion(since)!;
  return v.major !== s.major ? v.major > s.major : v.minor !== s.minor ? v.minor > s.minor : v.patch >= s.patch;
}

/**
 * The first Calico release whose calico-node reads each BGPPeerSpec field (a release that predates
 * a field ignores it: Go's JSON decoder drops unknown fields). From the API's git history at every
 * release tag (shared/reference/calico-bgppeer-datastore.md, "Since"). nextHopMode and
 * reversePeering came to the v3.30 line in patch releases; password's back-port to a v3.16 patch
 * release is not counted, so v3.16 clusters are told it needs v3.17.
 */
export const FIELD_SINCE: Partial<Record<SpecField, string>> = {
  nodeSelector: "v3.3.0",
  localASNumber: "v3.31.0",
  peerSelector: "v3.3.0",
  keepOriginalNextHop: "v3.16.0",
  nextHopMode: "v3.30.2",
  password: "v3.17.0",
  sourceAddress: "v3.18.0",
  maxRestartTime: "v3.20.0",
  keepaliveTime: "v3.32.0",
  numAllowedLocalASNumbers: "v3.23.0",
  ttlSecurity: "v3.25.0",
  reachableBy: "v3.25.0",
  filters: "v3.26.0",
  localWorkloadSelector: "v3.30.0",
  reversePeering: "v3.30.3",
};
/** peerIP took "<IP>:<port>" forms from v3.16 (plain IPs only before). */
const PEER_PORT_SINCE = "v3.16.0";

/** Whether a spec uses anything newer than Calico v3.0, so that the cluster's version matters. */
export function usesVersionedFields(spec: PeerSpec): boolean {
  return Object.keys(FIELD_SINCE).some((f) => spec[f as SpecField] !== undefined) || hasPort(spec.peerIP);
}

function hasPort(peerIP: string | undefined): boolean {
  return peerIP !== undefined && (peerIP.startsWith("[") || /^[^:]*:[^:]*$/.test(peerIP));
}

/**
 * The fields of `spec` that calico-node of `version` would ignore or misread, each as a rule
 * failure naming the field, the release that added it, and the version in force.
 */
export function fieldsTooNew(spec: PeerSpec, version: CalicoVersion, source: string): RuleError[] {
  const out: RuleError[] = [];
  for (const [field, since] of Object.entries(FIELD_SINCE) as Array<[SpecField, string]>) {
    if (spec[field] !== undefined && !atLeast(version, since)) {
      out.push(new RuleError(field, `is not supported by Calico ${version.text} (${source}): calico-node reads ${field} from Calico ${since} on and would ignore it. Upgrade Calico, or leave ${field} out`));
    }
  }
  if (hasPort(spec.peerIP) && !atLeast(version, PEER_PORT_SINCE)) {
    out.push(new RuleError("peerIP", `${show(spec.peerIP)} has a port, which Calico ${version.text} (${source}) does not support: calico-node reads "<IP>:<port>" from Calico ${PEER_PORT_SINCE} on`));
  }
  return out;
}
