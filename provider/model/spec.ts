import { z } from "zod";
import { parseAsn } from "./asn";
import { normalizeDuration } from "./duration";
import { RuleError, show } from "./errors";
import { formatIP, formatPeerIP, parseIP, parsePeerIP } from "./ip";
import { checkName, convertV1NodeName, ipToName, isQualifiedName, isValidLabelValue } from "./names";
import { usesSeedTerms } from "./seed";
import { canonicalSelector } from "./selector";
import { CalicoVersion, fieldsTooNew } from "./versions";

/** The sentinel the Pulumi engine sends for values not yet known during preview (pulumi/pulumi#6310). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** BGPPeerSpec JSON field names, in the Go struct's order, which is the order Calico writes them. */
export const SPEC_FIELDS = [
  "node",
  "nodeSelector",
  "peerIP",
  "asNumber",
  "localASNumber",
  "peerSelector",
  "keepOriginalNextHop",
  "nextHopMode",
  "password",
  "sourceAddress",
  "maxRestartTime",
  "keepaliveTime",
  "numAllowedLocalASNumbers",
  "ttlSecurity",
  "reachableBy",
  "filters",
  "localWorkloadSelector",
  "reversePeering",
] as const;
export type SpecField = (typeof SPEC_FIELDS)[number];

export interface SecretKeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

/** A normalized BGPPeerSpec: every field canonical, unset fields absent. */
export interface PeerSpec {
  node?: string;
  nodeSelector?: string;
  peerIP?: string;
  asNumber?: number;
  localASNumber?: number;
  peerSelector?: string;
  keepOriginalNextHop?: boolean;
  nextHopMode?: "Auto" | "Self" | "Keep";
  password?: { secretKeyRef: SecretKeyRef };
  sourceAddress?: "UseNodeIP" | "None";
  maxRestartTime?: string;
  keepaliveTime?: string;
  numAllowedLocalASNumbers?: number;
  ttlSecurity?: number;
  reachableBy?: string;
  filters?: string[];
  localWorkloadSelector?: string;
  reversePeering?: "Auto" | "Manual";
}

/** What check returns and what state records as inputs: the Calico name, the spec, managed metadata. */
export interface PeerInputs extends PeerSpec {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  adopt?: boolean;
}

const SELECTORS = ["nodeSelector", "peerSelector", "localWorkloadSelector"] as const;
const ENUMS = {
  nextHopMode: ["Auto", "Self", "Keep"],
  sourceAddress: ["UseNodeIP", "None"],
  reversePeering: ["Auto", "Manual"],
} as const;
const INT32_MAX = 2147483647;
// k8s validation.IsConfigMapKey, which Secret keys follow.
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
// validateObjectMetaAnnotations: TotalAnnotationSizeLimitB.
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** The raw input shape. Types only; every Calico rule lives in the functions below. */
function buildRawInputSchema() {
  const asn = z.union([z.number(), z.string()]);
  const str = z.string();
  return z.strictObject({
    name: str.optional(),
    scope: str.optional(),
    hostname: str.optional(),
    node: str.optional(),
    nodeSelector: str.optional(),
    peerIP: str.optional(),
    asNumber: asn.optional(),
    localASNumber: asn.optional(),
    peerSelector: str.optional(),
    keepOriginalNextHop: z.boolean().optional(),
    nextHopMode: str.optional(),
    password: z
      .strictObject({
        secretKeyRef: z.strictObject({ name: str, key: str, optional: z.boolean().optional() }),
      })
      .optional(),
    sourceAddress: str.optional(),
    maxRestartTime: str.optional(),
    keepaliveTime: str.optional(),
    numAllowedLocalASNumbers: z.number().optional(),
    ttlSecurity: z.number().optional(),
    reachableBy: str.optional(),
    filters: z.array(str).optional(),
    localWorkloadSelector: str.optional(),
    reversePeering: str.optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    adopt: z.boolean().optional(),
  });
}
type RawInputs = z.infer<ReturnType<typeof buildRawInputSchema>>;
const INPUT_NAMES = ["name", "scope", "hostname", ...SPEC_FIELDS, "labels", "annotations", "adopt"];

// Built once per process: building a zod schema costs far more than using it.
let schema: ReturnType<typeof buildRawInputSchema> | undefined;
function rawInputSchema() {
  return (schema ??= buildRawInputSchema());
}

function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** Collects every rule failure instead of stopping at the first, so one preview shows them all. */
class Failures {
  readonly list: RuleError[] = [];
  run<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (e instanceof RuleError) {
        this.list.push(e);
        return undefined;
      }
      throw e;
    }
  }
  add(property: string, reason: string): void {
    this.list.push(new RuleError(property, reason));
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

export interface CheckOutcome {
  inputs?: Record<string, unknown>;
  failures: RuleError[];
}

/**
 * check: validate every Calico rule and normalize. Values still unknown during preview pass through,
 * and rules that need them are skipped until they are known.
 */
export interface CheckOptions {
  /** The Calico release the peer is for (calico:calicoVersion): fields it predates are refused. */
  calicoVersion?: CalicoVersion;
  /** Where calicoVersion came from, for the message. */
  versionSource?: string;
}

export function checkInputs(raw: Record<string, unknown>, opts: CheckOptions = {}): CheckOutcome {
  const f = new Failures();
  const unknown = new Set(Object.keys(raw).filter((k) => containsUnknown(raw[k])));
  const known: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith("__") || unknown.has(k) || v === undefined || v === null) continue;
    known[k] = v;
  }
  // A field of the wrong type is reported and set aside, and the rules still run on the rest, so
  // that one preview shows every problem.
  const typeFailed = new Set<string>();
  // Fields given under another letter case: reported once, and not also as missing.
  const misspelled = new Set<string>();
  let parsed = rawInputSchema().safeParse(known);
  while (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join(".");
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          const meant = path ? undefined : INPUT_NAMES.find((n) => n.toLowerCase() === key.toLowerCase());
          if (meant) misspelled.add(meant);
          const hint = meant
            ? `: did you mean ${meant}? calicoctl matches field names case-insensitively, BgpPeer takes them as spelled`
            : `; see the README for the inputs BgpPeer takes`;
          f.add(path ? `${path}.${key}` : key, `is not a BGPPeer input${hint}`);
          typeFailed.add(path ? String(issue.path[0]) : key);
        }
      } else {
        f.add(path, `${show(issue.path.reduce<any>((o, p) => o?.[p as string], known))} is invalid: ${issue.message}`);
        typeFailed.add(String(issue.path[0]));
      }
    }
    for (const k of typeFailed) delete known[k];
    parsed = rawInputSchema().safeParse(known);
  }
  const args: RawInputs = parsed.data;
  const out: Record<string, unknown> = {};
  const seed = usesSeedTerms(args) || unknown.has("scope") || unknown.has("hostname");

  // scope / node / hostname (the seed model) and node (v3).
  let node = nonEmpty(args.node);
  const hostname = nonEmpty(args.hostname);
  if (hostname !== undefined) {
    if (node !== undefined && node !== hostname) f.add("hostname", `${show(hostname)} differs from node ${show(node)}: hostname is the older spelling of node, so give one of them`);
    node = node ?? hostname;
  }
  const nodeUnknown = unknown.has("node") || unknown.has("hostname");
  if (args.scope !== undefined && args.scope !== "global" && args.scope !== "node") {
    f.add("scope", `${show(args.scope)} is not a valid scope: it must be "global" or "node"`);
  } else if (args.scope === "node" && node === undefined && !nodeUnknown) {
    f.add("node", `is required when scope is "node": name the Calico node that peers`);
  } else if (args.scope === "global" && (node !== undefined || nodeUnknown)) {
    f.add("node", `${show(node ?? "(unknown)")} must be absent when scope is "global"`);
  } else if (args.scope === "global" && nonEmpty(args.nodeSelector) !== undefined) {
    f.add("nodeSelector", `${show(args.nodeSelector)} must be absent when scope is "global": a global peer applies to every node`);
  }
  if (node !== undefined) {
    // In seed terms the name is a v1 node name, converted as calicoctl convert does; v3 names must already be valid.
    const given = node;
    const field = hostname !== undefined && args.node === undefined ? "hostname" : "node";
    node = seed ? f.run(() => convertV1NodeName(field, given)) : f.run(() => (checkName("node", given), given));
    if (node !== undefined) out.node = node;
  } else if (nodeUnknown) {
    out.node = UNKNOWN;
  }

  for (const field of SELECTORS) {
    const v = nonEmpty(args[field]);
    if (v !== undefined) {
      f.run(() => canonicalSelector(field, v));
      out[field] = v;
    }
  }

  // Stored as typed, as calicoctl stores it (diffs compare by meaning: specEqual). In seed terms,
  // as calico-upgrade stores it: the v1 peerIP was a net.IP, written as net.IP.String().
  let peerFamily: string | undefined;
  const peerIP = nonEmpty(args.peerIP);
  if (peerIP !== undefined) {
    const addr = f.run(() => parsePeerIP("peerIP", peerIP));
    if (addr) {
      out.peerIP = seed ? formatPeerIP(addr) : peerIP;
      peerFamily = addr.ip.kind();
    }
  }

  // "" is not an AS number to Calico either ("invalid AS Number format ()"); 0 is its "unset".
  for (const field of ["asNumber", "localASNumber"] as const) {
    const v = args[field];
    if (v === undefined) continue;
    const asn = f.run(() => parseAsn(field, v));
    if (asn === undefined) continue;
    if (field === "localASNumber" && asn === 0) f.add(field, `0 is not a usable local AS number: give 1 to 4294967295, or leave localASNumber out to use the node's AS`);
    else if (asn !== 0) out[field] = asn;
  }

  if (args.keepOriginalNextHop) out.keepOriginalNextHop = true;
  // sourceAddress is a Go string (omitempty), so "" means unset; the other two are pointers in
  // Calico's struct, where "" is a value that is not in the enum.
  for (const field of ["nextHopMode", "sourceAddress", "reversePeering"] as const) {
    const v = field === "sourceAddress" ? nonEmpty(args[field]) : args[field];
    if (v === undefined) continue;
    const allowed: readonly string[] = ENUMS[field];
    if (!allowed.includes(v)) f.add(field, `${show(v)} is not valid: it must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
    else out[field] = v;
  }

  if (args.password !== undefined) {
    const ref = args.password.secretKeyRef;
    f.run(() => checkName("password.secretKeyRef.name", ref.name));
    if (!SECRET_KEY.test(ref.key)) f.add("password.secretKeyRef.key", `${show(ref.key)} is not a valid Secret key: it must match ${SECRET_KEY.source}`);
    out.password = { secretKeyRef: { name: ref.name, key: ref.key, ...(ref.optional !== undefined ? { optional: ref.optional } : {}) } };
  }

  // metav1.Duration rejects "" (time.ParseDuration), so it is not "unset" here either.
  for (const field of ["maxRestartTime", "keepaliveTime"] as const) {
    const v = args[field];
    if (v === undefined) continue;
    const d = f.run(() => normalizeDuration(field, v));
    if (d !== undefined) out[field] = d;
  }

  if (args.numAllowedLocalASNumbers !== undefined) {
    const v = args.numAllowedLocalASNumbers;
    if (!Number.isInteger(v) || v < 0 || v > INT32_MAX) f.add("numAllowedLocalASNumbers", `${show(v)} is not valid: it must be an integer from 0 to ${INT32_MAX}`);
    else if (v !== 0) out.numAllowedLocalASNumbers = v;
  }
  if (args.ttlSecurity !== undefined) {
    const v = args.ttlSecurity;
    if (!Number.isInteger(v) || v < 0 || v > 255) f.add("ttlSecurity", `${show(v)} is not valid: it must be an integer from 0 to 255 (a hop count)`);
    else out.ttlSecurity = v;
  }

  const reachableBy = nonEmpty(args.reachableBy);
  if (reachableBy !== undefined) {
    const ip = parseIP(reachableBy);
    if (!ip) f.add("reachableBy", `${show(reachableBy)} is not a valid IP address`);
    else {
      out.reachableBy = reachableBy;
      if (peerFamily !== undefined && ip.kind() !== peerFamily) {
        f.add("reachableBy", `${show(reachableBy)} and peerIP ${show(peerIP)} are of different address families: reachableBy must be an ${peerFamily === "ipv4" ? "IPv4" : "IPv6"} address`);
      }
    }
  }

  if (args.filters !== undefined && args.filters.length > 0) {
    args.filters.forEach((name, i) => f.run(() => checkName(`filters[${i}]`, name)));
    out.filters = [...args.filters];
  }

  // A field that already failed counts as unknown here, so that one bad value is reported once.
  const failed = new Set([...f.list.map((e) => e.property.split(/[.[]/)[0]), ...misspelled]);
  for (const [field, rule] of crossFieldRules(out as PeerSpec, unknown, failed)) f.add(field, rule);
  if (opts.calicoVersion) f.list.push(...fieldsTooNew(out as PeerSpec, opts.calicoVersion, opts.versionSource ?? "calico:calicoVersion"));

  for (const field of ["labels", "annotations"] as const) {
    const m = args[field];
    if (m === undefined) continue;
    let bytes = 0;
    for (const [k, v] of Object.entries(m)) {
      bytes += k.length + v.length;
      const key = field === "annotations" ? k.toLowerCase() : k;
      if (!isQualifiedName(key)) f.add(`${field}.${k}`, `${show(k)} is not a valid ${field === "labels" ? "label" : "annotation"} key: it must be a qualified name ([prefix/]name, name at most 63 characters of [-A-Za-z0-9_.] starting and ending alphanumeric)`);
      if (field === "labels" && !isValidLabelValue(v)) f.add(`labels.${k}`, `${show(v)} is not a valid label value: at most 63 characters of [-A-Za-z0-9_.], starting and ending alphanumeric, or empty`);
    }
    if (field === "annotations" && bytes > ANNOTATIONS_MAX_BYTES) f.add("annotations", `total size ${bytes} bytes exceeds the limit of ${ANNOTATIONS_MAX_BYTES} bytes`);
    if (Object.keys(m).length > 0) out[field] = { ...m };
  }
  if (args.adopt) out.adopt = true;

  // The Calico name: given, or calico-upgrade's name for a seed-model peer.
  if (args.name !== undefined) {
    const name = args.name;
    f.run(() => checkName("name", name));
    out.name = name;
  } else if (unknown.has("name")) {
    out.name = UNKNOWN;
  } else if (typeFailed.has("name")) {
    // Already reported.
  } else if (seed) {
    if (nodeUnknown || unknown.has("peerIP")) out.name = UNKNOWN;
    else if (out.peerIP !== undefined) {
      const ip = parsePeerIP("peerIP", out.peerIP as string).ip;
      const name = node !== undefined ? `${node}.${ipToName(ip)}` : ipToName(ip);
      f.run(() => checkName("name", name));
      out.name = name;
    } else if (peerIP === undefined) {
      f.add("name", `is required: a seed-model peer without peerIP has no calico-upgrade name, so give name`);
    }
  } else {
    f.add("name", `is required: give the Calico name (BgpPeer defaults it to the resource name)`);
  }

  for (const k of unknown) if (!(k in out) && !k.startsWith("__") && k !== "scope" && k !== "hostname") out[k] = raw[k];
  if (f.list.length > 0) return { failures: f.list };
  return { inputs: out, failures: [] };
}

/**
 * Rules between fields: validateBGPPeerSpec and the CRD's CEL rules, plus the two that Calico
 * leaves to confd (which otherwise skips the peer, or writes AS 0 into BIRD). Rules involving a
 * field still unknown at preview are skipped, and so are rules involving a field that already
 * failed, so that one bad value is reported once.
 */
export function crossFieldRules(s: PeerSpec, unknown: ReadonlySet<string> = new Set(), failed: ReadonlySet<string> = new Set()): Array<[string, string]> {
  const has = (k: SpecField) => s[k] !== undefined || unknown.has(k) || failed.has(k);
  const known = (...ks: SpecField[]) => ks.every((k) => !unknown.has(k) && !failed.has(k));
  const out: Array<[string, string]> = [];
  if (s.node !== undefined && s.nodeSelector !== undefined && known("node", "nodeSelector")) out.push(["node", "must be empty when nodeSelector is specified: give node or nodeSelector, not both"]);
  if (s.peerIP !== undefined && s.peerSelector !== undefined && known("peerIP", "peerSelector")) out.push(["peerIP", "must be empty when peerSelector is specified: give peerIP or peerSelector, not both"]);
  if (s.asNumber !== undefined && s.peerSelector !== undefined && known("asNumber", "peerSelector")) out.push(["asNumber", `${s.asNumber} must be empty when peerSelector is specified: the AS comes from the selected nodes`]);
  if (s.localWorkloadSelector !== undefined && s.asNumber === undefined && known("asNumber", "localWorkloadSelector")) out.push(["asNumber", "is required when localWorkloadSelector is specified"]);
  if (s.peerIP !== undefined && s.localWorkloadSelector !== undefined && known("peerIP", "localWorkloadSelector")) out.push(["peerIP", "must be empty when localWorkloadSelector is specified"]);
  if (s.peerSelector !== undefined && s.localWorkloadSelector !== undefined && known("peerSelector", "localWorkloadSelector")) out.push(["peerSelector", "must be empty when localWorkloadSelector is specified"]);
  if (s.reachableBy !== undefined && s.peerIP === undefined && known("peerIP", "reachableBy")) out.push(["reachableBy", `${show(s.reachableBy)} must be empty when peerIP is empty: reachableBy is the gateway to peerIP`]);
  // Calico tests for a nextHopMode at all (a non-nil pointer), so an invalid one conflicts too.
  if (s.keepOriginalNextHop && (s.nextHopMode !== undefined || failed.has("nextHopMode")) && !unknown.has("nextHopMode")) out.push(["keepOriginalNextHop", "must not be true when nextHopMode is set: keepOriginalNextHop is deprecated, use nextHopMode instead"]);
  // Stricter than Calico's validator (see README, "Deliberate differences"): confd needs these.
  if (s.peerIP !== undefined && s.asNumber === undefined && known("peerIP", "asNumber")) out.push(["asNumber", `is required for a peerIP peer (peerIP ${show(s.peerIP)}): give the remote AS, from 1 to 4294967295, as a number, a decimal string or dotted "hi.lo"`]);
  if (!has("peerIP") && !has("peerSelector") && !has("localWorkloadSelector")) out.push(["peerIP", "is required: a peer needs one of peerIP, peerSelector or localWorkloadSelector, or calico-node skips it"]);
  return out;
}

/** The canonical text of a stored address, or undefined when it does not parse. */
function canonicalAddress(field: "peerIP" | "reachableBy", text: string): string | undefined {
  try {
    if (field === "peerIP") return formatPeerIP(parsePeerIP(field, text));
    const ip = parseIP(text);
    return ip && formatIP(ip);
  } catch {
    return undefined;
  }
}

/**
 * Spec fields compared by meaning: selectors by canonical form, addresses by canonical text
 * ("2001:DB8::1" is "2001:db8::1"), everything else by value.
 */
export function specEqual(field: SpecField, a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  if ((field === "peerIP" || field === "reachableBy") && typeof a === "string" && typeof b === "string") {
    return a === b || (canonicalAddress(field, a) ?? a) === (canonicalAddress(field, b) ?? b);
  }
  if ((SELECTORS as readonly string[]).includes(field) && typeof a === "string" && typeof b === "string") {
    try {
      return canonicalSelector(field, a) === canonicalSelector(field, b);
    } catch {
      return a === b;
    }
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

export function pickSpec(o: Record<string, unknown>): PeerSpec {
  const s: Record<string, unknown> = {};
  for (const k of SPEC_FIELDS) if (o[k] !== undefined) s[k] = o[k];
  return s as PeerSpec;
}
