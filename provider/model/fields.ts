// The BGPPeerSpec fields, each declared once: its JSON name, its kind (which fixes the input type,
// the check and the decoder), its range or enum, whether "" and 0 are values or "unset", the
// Calico release that added it, and its documentation. Everything else derives from this table:
// SPEC_FIELDS, PeerSpec, the check schema and rules (spec.ts), the decoder (codec.ts), the version
// rules (versions.ts), and BgpPeerArgs and the output declarations (resource.ts), which keep the
// doc comments below. Free of dependencies, because the user's program loads it.

/** Calico's int32 bounds (the Go type of numAllowedLocalASNumbers and of the CRD's integers). */
export const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/**
 * How a field is typed, checked and decoded:
 * - `name`: a DNS-1123 subdomain; `selector`: a Calico selector; `enum`: one of `values`;
 * - `peerAddress`: an IP, optionally with a port; `ip`: an IP;
 * - `asn`: an AS number (number, decimal string or dotted "hi.lo"), stored as a number;
 * - `bool`; `duration`: a Go duration, stored as Go prints it; `int`: an integer in [min, max];
 * - `names`: a list of Calico names; `password`: a Secret key reference.
 */
export type FieldKind = "name" | "selector" | "enum" | "peerAddress" | "ip" | "asn" | "bool" | "duration" | "int" | "names" | "password";

export interface FieldDef {
  kind: FieldKind;
  /** Go pointer fields (*string, *Duration, *ASNumber): "" is a value (and invalid), not "unset". */
  pointer?: boolean;
  /** 0 (or false) means "unset" and is not stored. */
  zeroIsUnset?: boolean;
  /**
   * 0 is a value, stored and shown as given (a Go pointer, which calicoctl keeps), that calico-node
   * treats as unset: 0 and unset compare equal, so neither one is drift from the other.
   */
  zeroActsUnset?: boolean;
  values?: readonly string[];
  /** Range that check accepts; `decodeMin` is what a stored value may hold (Calico reads more). */
  min?: number;
  max?: number;
  decodeMin?: number;
  /** The first Calico release whose calico-node reads the field. */
  since: string;
  /** At most this many characters: Calico's CRD limit (v3.32.1), which also bounds what check costs. */
  maxLength?: number;
  /** A lower limit from a later release on: applied when the cluster's Calico release is known to be that or later. */
  maxLengthFrom?: { since: string; maxLength: number };
  /** At most this many (distinct) items. */
  maxItems?: number;
}

/**
 * Calico v3.33.0 lowered the selectors' CRD maxLength from 4096 to 1024 (projectcalico/calico
 * a30cddfe90, #12250: api/pkg/apis/projectcalico/v3/bgppeer.go's +kubebuilder:validation:MaxLength),
 * enforced by the API server in KDD and by calicoctl's in-process CRD validation in etcd mode.
 */
const SELECTOR_1024 = { since: "v3.33.0", maxLength: 1024 };

/** In Go field order, which is the order Calico writes them. */
export const FIELDS = {
  /** The Calico node that peers (a DNS-1123 subdomain). Without node and nodeSelector the peer is global. Not with nodeSelector. */
  node: { kind: "name", since: "v3.0.0" },
  /** A Calico selector of the local nodes that get this peering, e.g. "has(route-reflector)". Not with node. */
  nodeSelector: { kind: "selector", maxLength: 4096, maxLengthFrom: SELECTOR_1024, since: "v3.3.0" },
  /**
   * IPv4 or IPv6, optionally with a port: "a.b.c.d:port" or "[v6]:port". Stored as typed, as
   * calicoctl stores it (in seed terms, as Go prints the IP); two spellings of one address never diff.
   */
  peerIP: { kind: "peerAddress", maxLength: 64, since: "v3.0.0" },
  /** The remote AS: a number, a decimal string or dotted "hi.lo"; 1 to 4294967295 (0 is Calico's unset, as leaving it out). Required with peerIP; not with peerSelector. */
  asNumber: { kind: "asn", zeroIsUnset: true, since: "v3.0.0" },
  /** The local AS for this peering, overriding the node's; 1 to 4294967295, as asNumber. */
  localASNumber: { kind: "asn", pointer: true, since: "v3.31.0" },
  /** A Calico selector of the Calico nodes to peer with; their AS is used. Not with peerIP or asNumber. */
  peerSelector: { kind: "selector", maxLength: 4096, maxLengthFrom: SELECTOR_1024, since: "v3.3.0" },
  /** Deprecated by nextHopMode: keep the original next hop. Not with nextHopMode. */
  keepOriginalNextHop: { kind: "bool", zeroIsUnset: true, since: "v3.16.0" },
  /** "Auto", "Self" or "Keep": how BIRD sets the next hop. */
  nextHopMode: { kind: "enum", values: ["Auto", "Self", "Keep"], pointer: true, since: "v3.30.2" },
  /** The BGP password, from a Kubernetes Secret in calico-node's namespace. */
  password: { kind: "password", since: "v3.17.0" },
  /** "UseNodeIP" (the default) or "None": the source address of the BGP session. */
  sourceAddress: { kind: "enum", values: ["UseNodeIP", "None"], since: "v3.18.0" },
  /** Graceful-restart time, a Go duration such as "120s"; stored as Go prints it ("2m0s"). */
  maxRestartTime: { kind: "duration", pointer: true, since: "v3.20.0" },
  /** BGP keepalive timer, a Go duration such as "30s"; stored as Go prints it. Calico v3.32 and later. */
  keepaliveTime: { kind: "duration", pointer: true, since: "v3.32.0" },
  /** BIRD's "allow local as N": 0 to 2147483647. 0 is stored as given, and calico-node treats it as unset (no "allow local as"). */
  numAllowedLocalASNumbers: { kind: "int", min: 0, max: INT32_MAX, decodeMin: INT32_MIN, zeroActsUnset: true, since: "v3.23.0" },
  /** GTSM hop count (TTL security): 0 to 255. */
  ttlSecurity: { kind: "int", min: 0, max: 255, decodeMin: 0, since: "v3.25.0" },
  /** The gateway IP that reaches peerIP, of the same address family; requires peerIP. Stored as typed. */
  reachableBy: { kind: "ip", maxLength: 64, since: "v3.25.0" },
  /**
   * BGPFilter names, in order; each must exist in etcd (checked in the write transaction, one
   * compare per filter, so at most 127 fit in etcd's default 128 operations per transaction).
   */
  filters: { kind: "names", maxItems: 127, since: "v3.26.0" },
  /** A selector of local workloads that the node peers with. Requires asNumber; not with peerIP or peerSelector. */
  localWorkloadSelector: { kind: "selector", maxLength: 4096, maxLengthFrom: SELECTOR_1024, since: "v3.30.0" },
  /** "Auto" or "Manual": whether Calico adds the reverse peering of a peerSelector peering. */
  reversePeering: { kind: "enum", values: ["Auto", "Manual"], pointer: true, since: "v3.30.3" },
} as const satisfies Record<string, FieldDef>;

export type SpecField = keyof typeof FIELDS;
export const SPEC_FIELDS = Object.keys(FIELDS) as SpecField[];

/** The spec fields of a peer's inputs or outputs, those set (the rest of the object left out). */
export function pickSpec(o: Record<string, unknown>): PeerSpec {
  const s: Record<string, unknown> = {};
  for (const k of SPEC_FIELDS) if (o[k] !== undefined) s[k] = o[k];
  return s as PeerSpec;
}

/**
 * A key of a Kubernetes Secret, as Calico's BGPPeer spec.password.secretKeyRef names it.
 *
 * @example
 * ```ts
 * const ref: SecretKeyRef = { name: "bgp-secrets", key: "rr" };
 * ```
 */
export interface SecretKeyRef {
  /** The Secret's name. */
  name: string;
  /** The key within the Secret. */
  key: string;
  /** Whether calico-node may start the peering without the Secret. */
  optional?: boolean;
}

/** What each kind takes as input, and what it is once normalized (as stored and in outputs). */
interface KindInput {
  name: string;
  selector: string;
  peerAddress: string;
  ip: string;
  asn: number | string;
  bool: boolean;
  duration: string;
  int: number;
  names: string[];
  password: {
    /** The Kubernetes Secret (in calico-system) and key that hold the BGP password. */
    secretKeyRef: SecretKeyRef;
  };
}
interface KindValue extends Omit<KindInput, "asn"> {
  asn: number;
}

type ValueOf<D, M> = D extends { kind: "enum"; values: readonly (infer V)[] } ? V : D extends { kind: infer K extends keyof M } ? M[K] : never;

/**
 * A normalized BGPPeerSpec: every field as stored, unset fields absent.
 *
 * @example Dotted AS numbers are numbers once stored
 * ```ts
 * const spec: PeerSpec = { node: "rack1-host1", peerIP: "192.168.1.1", asNumber: 65546 };
 * ```
 */
export type PeerSpec = { -readonly [K in keyof typeof FIELDS]?: ValueOf<(typeof FIELDS)[K], KindValue> };
/** The spec fields as a program gives them. */
export type SpecInputs = { -readonly [K in keyof typeof FIELDS]?: ValueOf<(typeof FIELDS)[K], KindInput> };
