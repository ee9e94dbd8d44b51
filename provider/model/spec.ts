import { z } from "zod";
import { parseAsn } from "./asn";
import { ETCD_MAX_REQUEST_BYTES, ETCD_MAX_VALUE_BYTES, goJson } from "./codec";
import { normalizeDuration } from "./duration";
import { RuleError, show } from "./errors";
import { FIELDS, type FieldDef, type PeerSpec, pickSpec, SPEC_FIELDS, type SpecField } from "./fields";
import { formatIP, formatPeerIP, parseIP, parsePeerIP } from "./ip";
import { OWNER_ANNOTATION, OWNER_KEY } from "./keys";
import { checkName, convertV1NodeName, ipToName, isQualifiedName, isValidLabelValue } from "./names";
import { usesSeedTerms } from "./seed";
import { canonicalSelector } from "./selector";
import { type CalicoVersion, fieldsTooNew } from "./versions";

/** The sentinel the Pulumi engine sends for values not yet known during preview (pulumi/pulumi#6310). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type { PeerSpec, SecretKeyRef, SpecField } from "./fields";
export { pickSpec, SPEC_FIELDS } from "./fields";

/**
 * What check returns and what state records as inputs: the Calico name, the spec, managed metadata.
 *
 * @example Seed terms in, check's normalized inputs out
 * ```ts
 * const { inputs } = await provider.check!({}, { scope: "node", node: "rack1__host1", peerIP: "192.168.1.1", asNumber: "1.10" });
 * // inputs: { name: "rack1-host1.192-168-1-1", node: "rack1-host1", peerIP: "192.168.1.1", asNumber: 65546 }
 * ```
 */
export interface PeerInputs extends PeerSpec {
  /** The Calico name (metadata.name): the etcd key's last part, or the custom resource's name. */
  name: string;
  /** metadata.labels the resource manages (others on the stored peer are left alone). */
  labels?: Record<string, string>;
  /** metadata.annotations the resource manages (others on the stored peer are left alone). */
  annotations?: Record<string, string>;
  /** Take over an existing peer; "force" also one that another stack manages (OWNER_ANNOTATION). */
  adopt?: boolean | "force";
  /** The declaring stack, "<project>/<stack>", set by the resource class (OWNER_KEY); it fixes the uid a create gives. */
  __owner?: string;
}

// k8s validation.IsConfigMapKey, which Secret keys follow.
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
// validateObjectMetaAnnotations: TotalAnnotationSizeLimitB.
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** The zod type of each field kind's input. */
function kindSchema(def: FieldDef): z.ZodType {
  switch (def.kind) {
    case "asn":
      return z.union([z.number(), z.string()]);
    case "bool":
      return z.boolean();
    case "int":
      return z.number();
    case "names":
      return z.array(z.string());
    case "password":
      return z.strictObject({ secretKeyRef: z.strictObject({ name: z.string(), key: z.string(), optional: z.boolean().optional() }) });
    default:
      return z.string();
  }
}

/** The raw input shape: types only, from the field table; every Calico rule lives in the functions below. */
function buildRawInputSchema() {
  const spec = Object.fromEntries(SPEC_FIELDS.map((f) => [f, kindSchema(FIELDS[f]).optional()]));
  return z.strictObject({
    name: z.string().optional(),
    scope: z.string().optional(),
    hostname: z.string().optional(),
    ...spec,
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    adopt: z.union([z.boolean(), z.literal("force")]).optional(),
  });
}
type RawInputs = {
  name?: string;
  scope?: string;
  hostname?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  adopt?: boolean | "force";
} & Record<SpecField, unknown>;
const INPUT_NAMES = ["name", "scope", "hostname", ...SPEC_FIELDS, "labels", "annotations", "adopt"];

// Built once per process: building a zod schema costs far more than using it.
let schema: ReturnType<typeof buildRawInputSchema> | undefined;
function rawInputSchema() {
  schema ??= buildRawInputSchema();
  return schema;
}

export function containsUnknown(v: unknown): boolean {
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

export interface CheckOptions {
  /** The Calico release the peer is for (calico:calicoVersion): fields it predates are refused. */
  calicoVersion?: CalicoVersion;
  /** Where calicoVersion came from, for the message. */
  versionSource?: string;
}

/**
 * check: validate every Calico rule and normalize. Values still unknown during preview pass through,
 * and rules that need them are skipped until they are known.
 */
export function checkInputs(raw: Record<string, unknown>, opts: CheckOptions = {}): CheckOutcome {
  const f = new Failures();
  const unknown = new Set(Object.keys(raw).filter((k) => containsUnknown(raw[k])));
  const { args, typeFailed, misspelled } = parseTypes(raw, unknown, f);
  const out: Record<string, unknown> = {};
  const seed = usesSeedTerms(args) || unknown.has("scope") || unknown.has("hostname");

  const node = checkScopeAndNode(args, unknown, seed, f);
  if (node.value !== undefined) out.node = node.value;
  else if (node.unknown) out.node = UNKNOWN;
  for (const field of SPEC_FIELDS) {
    if (field === "node" || args[field] === undefined) continue;
    const v = checkField(field, args[field], seed, f);
    if (v !== undefined) out[field] = v;
  }

  // A field that already failed counts as unknown here, so that one bad value is reported once.
  const failed = new Set([...f.list.map((e) => e.property.split(/[.[]/)[0]), ...misspelled]);
  f.list.push(...crossFieldRules(out as PeerSpec, unknown, failed));
  if (opts.calicoVersion) f.list.push(...fieldsTooNew(out as PeerSpec, opts.calicoVersion, opts.versionSource ?? "calico:calicoVersion"));

  for (const field of ["labels", "annotations"] as const) {
    const m = args[field];
    if (m === undefined) continue;
    checkMetadataMap(field, m, f);
    if (Object.keys(m).length > 0) out[field] = { ...m };
  }
  if (args.adopt) out.adopt = args.adopt === "force" ? "force" : true;
  if (args.annotations && Object.hasOwn(args.annotations, OWNER_ANNOTATION)) {
    f.add(`annotations.${OWNER_ANNOTATION}`, "is set by BgpPeer itself, to the stack that manages the peer; leave it out");
  }
  const owner = raw[OWNER_KEY];
  if (typeof owner === "string" && owner !== "") out[OWNER_KEY] = owner;
  else if (owner !== undefined && owner !== null && owner !== "")
    f.add(OWNER_KEY, `${show(owner)} is not a stack ("<project>/<stack>"): BgpPeer sets this input itself`);
  // What check accepts must be writable: etcd refuses a request larger than --max-request-bytes,
  // and Go's JSON escaping can make a value up to six times the size of its text.
  const bytes = Buffer.byteLength(goJson({ metadata: { labels: out.labels, annotations: out.annotations }, spec: pickSpec(out) }));
  if (bytes > ETCD_MAX_VALUE_BYTES) {
    f.add(
      out.annotations ? "annotations" : "labels",
      `make the stored value ${bytes} bytes as JSON: etcd takes requests of at most ${ETCD_MAX_REQUEST_BYTES} bytes (--max-request-bytes, 1.5 MiB by default)`,
    );
  }

  const name = calicoName(args, out, { unknown, typeFailed, seed, nodeUnknown: node.unknown }, f);
  if (name !== undefined) out.name = name;

  for (const k of unknown) if (!(k in out) && !k.startsWith("__") && k !== "scope" && k !== "hostname") out[k] = raw[k];
  if (f.list.length > 0) return { failures: f.list };
  return { inputs: out, failures: [] };
}

/**
 * Types, from the field table's schema. A field of the wrong type is reported and set aside, and
 * the rules still run on the rest, so that one preview shows every problem.
 */
function parseTypes(raw: Record<string, unknown>, unknown: ReadonlySet<string>, f: Failures) {
  // No prototype: a key named "__proto__" is then a key like any other (and refused), not a
  // prototype whose keys the schema would see but could never delete.
  const known: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(raw)) {
    // __provider is the engine's (the serialized provider) and __owner the resource class's (the
    // declaring stack, passed through by check); any other key is the user's, and checked.
    if (k === "__provider" || k === OWNER_KEY || unknown.has(k) || v === undefined || v === null) continue;
    known[k] = v;
  }
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
            : `; see docs/reference.md#inputs for the inputs BgpPeer takes`;
          f.add(path ? `${path}.${key}` : key, `is not a BGPPeer input${hint}`);
          typeFailed.add(path ? String(issue.path[0]) : key);
        }
      } else {
        f.add(
          path,
          `${show(issue.path.reduce<unknown>((o, p) => (o as Record<string, unknown> | undefined)?.[p as string], known))} is invalid: ${issue.message}`,
        );
        typeFailed.add(String(issue.path[0]));
      }
    }
    const before = Object.keys(known).length;
    for (const k of typeFailed) delete known[k];
    // Every round sets aside at least one key, so this ends; if the schema ever objects to nothing
    // it can set aside, what is left is refused as a whole.
    if (Object.keys(known).length === before) {
      f.add("", "the inputs are not an object of BgpPeer inputs");
      return { args: {} as RawInputs, typeFailed, misspelled };
    }
    parsed = rawInputSchema().safeParse(known);
  }
  return { args: parsed.data as RawInputs, typeFailed, misspelled };
}

/** scope, node and hostname (the seed model), and node (v3). */
function checkScopeAndNode(args: RawInputs, unknown: ReadonlySet<string>, seed: boolean, f: Failures): { value?: string; unknown: boolean } {
  let node = nonEmpty(args.node as string | undefined);
  const hostname = nonEmpty(args.hostname);
  if (hostname !== undefined) {
    if (node !== undefined && node !== hostname)
      f.add("hostname", `${show(hostname)} differs from node ${show(node)}: hostname is the older spelling of node, so give one of them`);
    node = node ?? hostname;
  }
  const nodeUnknown = unknown.has("node") || unknown.has("hostname");
  if (args.scope !== undefined && args.scope !== "global" && args.scope !== "node") {
    f.add("scope", `${show(args.scope)} is not a valid scope: it must be "global" or "node"`);
  } else if (args.scope === "node" && node === undefined && !nodeUnknown) {
    f.add("node", `is required when scope is "node": name the Calico node that peers`);
  } else if (args.scope === "global" && (node !== undefined || nodeUnknown)) {
    f.add("node", `${show(node ?? "(unknown)")} must be absent when scope is "global"`);
  } else if (args.scope === "global" && nonEmpty(args.nodeSelector as string | undefined) !== undefined) {
    f.add("nodeSelector", `${show(args.nodeSelector)} must be absent when scope is "global": a global peer applies to every node`);
  }
  if (node === undefined) return { unknown: nodeUnknown };
  // In seed terms the name is a v1 node name, converted as calicoctl convert does; v3 names must already be valid.
  const given = node;
  const field = hostname !== undefined && args.node === undefined ? "hostname" : "node";
  return {
    value: seed
      ? f.run(() => convertV1NodeName(field, given))
      : f.run(() => {
          checkName("node", given);
          return given;
        }),
    unknown: false,
  };
}

/**
 * One field's rule, by its kind in the field table: the normalized value, or undefined when the
 * input means "unset" (or failed, reported to `f`).
 */
function checkField(field: SpecField, value: unknown, seed: boolean, f: Failures): unknown {
  const def: FieldDef = FIELDS[field];
  // Limits first: they bound what the rules below cost, whatever the input.
  if (def.maxLength !== undefined && typeof value === "string" && value.length > def.maxLength) {
    f.add(field, `${show(value)} is ${value.length} characters long: ${field} takes at most ${def.maxLength} (Calico's own limit for the field)`);
    return undefined;
  }
  if (def.maxItems !== undefined && Array.isArray(value) && new Set(value).size > def.maxItems) {
    f.add(
      field,
      `names ${new Set(value).size} distinct BGPFilters: at most ${def.maxItems} fit, because a write checks each in the one etcd transaction it is, and etcd takes at most 128 operations per transaction (--max-txn-ops)`,
    );
    return undefined;
  }
  switch (def.kind) {
    case "name":
      return f.run(() => {
        checkName(field, value as string);
        return value;
      });
    case "selector": {
      const v = nonEmpty(value as string);
      if (v === undefined) return undefined;
      return f.run(() => {
        canonicalSelector(field, v);
        return v;
      });
    }
    case "peerAddress": {
      // Stored as typed, as calicoctl stores it (diffs compare by meaning: specEqual). In seed terms,
      // as calico-upgrade stores it: the v1 peerIP was a net.IP, written as net.IP.String().
      const v = nonEmpty(value as string);
      const addr = v === undefined ? undefined : f.run(() => parsePeerIP(field, v));
      return addr && (seed ? formatPeerIP(addr) : v);
    }
    case "ip": {
      const v = nonEmpty(value as string);
      if (v !== undefined && !parseIP(v)) f.add(field, `${show(v)} is not a valid IP address`);
      else return v;
      return undefined;
    }
    case "asn": {
      // "" is not an AS number to Calico either ("invalid AS Number format ()"); 0 is its "unset".
      const asn = f.run(() => parseAsn(field, value as number | string));
      if (asn === 0 && def.pointer) f.add(field, `0 is not a usable local AS number: give 1 to 4294967295, or leave ${field} out to use the node's AS`);
      else if (asn !== 0) return asn;
      return undefined;
    }
    case "bool":
      return value === true ? true : undefined;
    case "enum": {
      // A Go string (omitempty) takes "" as unset; in a pointer field "" is a value outside the enum.
      const v = def.pointer ? (value as string) : nonEmpty(value as string);
      if (v === undefined) return undefined;
      if (!def.values!.includes(v)) f.add(field, `${show(v)} is not valid: it must be one of ${def.values!.map((a) => `"${a}"`).join(", ")}`);
      else return v;
      return undefined;
    }
    case "duration":
      // metav1.Duration rejects "" (time.ParseDuration), so it is not "unset" here either.
      return f.run(() => normalizeDuration(field, value as string));
    case "int": {
      const v = value as number;
      if (!Number.isInteger(v) || v < def.min! || v > def.max!) f.add(field, `${show(v)} is not valid: it must be an integer from ${def.min} to ${def.max}`);
      else if (v !== 0 || !def.zeroIsUnset) return v;
      return undefined;
    }
    case "names": {
      const names = value as string[];
      for (const [i, name] of names.entries()) f.run(() => checkName(`${field}[${i}]`, name));
      return names.length > 0 ? [...names] : undefined;
    }
    case "password": {
      const ref = (value as { secretKeyRef: { name: string; key: string; optional?: boolean } }).secretKeyRef;
      f.run(() => checkName(`${field}.secretKeyRef.name`, ref.name));
      if (!SECRET_KEY.test(ref.key)) f.add(`${field}.secretKeyRef.key`, `${show(ref.key)} is not a valid Secret key: it must match ${SECRET_KEY.source}`);
      return { secretKeyRef: { name: ref.name, key: ref.key, ...(ref.optional !== undefined ? { optional: ref.optional } : {}) } };
    }
  }
}

/** Labels and annotations: Kubernetes' key and value rules, and the annotations' total size. */
function checkMetadataMap(field: "labels" | "annotations", m: Record<string, string>, f: Failures): void {
  let bytes = 0;
  for (const [k, v] of Object.entries(m)) {
    bytes += k.length + v.length;
    const key = field === "annotations" ? k.toLowerCase() : k;
    // The key is part of the property path; a huge one is cut, as show() cuts values.
    const at = `${field}.${k.length > 120 ? `${k.slice(0, 117)}...` : k}`;
    if (!isQualifiedName(key))
      f.add(
        at,
        `${show(k)} is not a valid ${field === "labels" ? "label" : "annotation"} key: it must be a qualified name ([prefix/]name, name at most 63 characters of [-A-Za-z0-9_.] starting and ending alphanumeric)`,
      );
    if (field === "labels" && !isValidLabelValue(v))
      f.add(at, `${show(v)} is not a valid label value: at most 63 characters of [-A-Za-z0-9_.], starting and ending alphanumeric, or empty`);
  }
  if (field === "annotations" && bytes > ANNOTATIONS_MAX_BYTES)
    f.add("annotations", `total size ${bytes} bytes exceeds the limit of ${ANNOTATIONS_MAX_BYTES} bytes`);
}

/** The Calico name: given, or calico-upgrade's name for a seed-model peer. */
function calicoName(
  args: RawInputs,
  out: Record<string, unknown>,
  ctx: { unknown: ReadonlySet<string>; typeFailed: ReadonlySet<string>; seed: boolean; nodeUnknown: boolean },
  f: Failures,
): string | undefined {
  if (args.name !== undefined) {
    const name = args.name;
    f.run(() => checkName("name", name));
    return name;
  }
  if (ctx.unknown.has("name")) return UNKNOWN;
  if (ctx.typeFailed.has("name")) return undefined; // already reported
  if (!ctx.seed) {
    f.add("name", `is required: give the Calico name (BgpPeer defaults it to the resource name)`);
    return undefined;
  }
  if (ctx.nodeUnknown || ctx.unknown.has("peerIP")) return UNKNOWN;
  if (out.peerIP !== undefined) {
    const ip = parsePeerIP("peerIP", out.peerIP as string).ip;
    const name = out.node !== undefined ? `${out.node}.${ipToName(ip)}` : ipToName(ip);
    f.run(() => checkName("name", name));
    return name;
  }
  if (nonEmpty(args.peerIP as string | undefined) === undefined)
    f.add("name", `is required: a seed-model peer without peerIP has no calico-upgrade name, so give name`);
  return undefined;
}

/**
 * Rules between fields: validateBGPPeerSpec and the CRD's CEL rules, plus the two that Calico
 * leaves to confd (which otherwise skips the peer, or writes AS 0 into BIRD). Rules involving a
 * field still unknown at preview are skipped, and so are rules involving a field that already
 * failed, so that one bad value is reported once.
 */
export function crossFieldRules(s: PeerSpec, unknown: ReadonlySet<string> = new Set(), failed: ReadonlySet<string> = new Set()): RuleError[] {
  const has = (k: SpecField) => s[k] !== undefined || unknown.has(k) || failed.has(k);
  const known = (...ks: SpecField[]) => ks.every((k) => !unknown.has(k) && !failed.has(k));
  const out: RuleError[] = [];
  const rule = (field: string, reason: string) => out.push(new RuleError(field, reason));
  if (s.node !== undefined && s.nodeSelector !== undefined && known("node", "nodeSelector"))
    rule("node", "must be empty when nodeSelector is specified: give node or nodeSelector, not both");
  if (s.peerIP !== undefined && s.peerSelector !== undefined && known("peerIP", "peerSelector"))
    rule("peerIP", "must be empty when peerSelector is specified: give peerIP or peerSelector, not both");
  if (s.asNumber !== undefined && s.peerSelector !== undefined && known("asNumber", "peerSelector"))
    rule("asNumber", `${s.asNumber} must be empty when peerSelector is specified: the AS comes from the selected nodes`);
  if (s.localWorkloadSelector !== undefined && s.asNumber === undefined && known("asNumber", "localWorkloadSelector"))
    rule("asNumber", "is required when localWorkloadSelector is specified");
  if (s.peerIP !== undefined && s.localWorkloadSelector !== undefined && known("peerIP", "localWorkloadSelector"))
    rule("peerIP", "must be empty when localWorkloadSelector is specified");
  if (s.peerSelector !== undefined && s.localWorkloadSelector !== undefined && known("peerSelector", "localWorkloadSelector"))
    rule("peerSelector", "must be empty when localWorkloadSelector is specified");
  if (s.reachableBy !== undefined && s.peerIP === undefined && known("peerIP", "reachableBy"))
    rule("reachableBy", `${show(s.reachableBy)} must be empty when peerIP is empty: reachableBy is the gateway to peerIP`);
  if (s.reachableBy !== undefined && s.peerIP !== undefined && known("peerIP", "reachableBy")) {
    const peer = parsePeerIP("peerIP", s.peerIP).ip.kind();
    if (parseIP(s.reachableBy)!.kind() !== peer) {
      rule(
        "reachableBy",
        `${show(s.reachableBy)} and peerIP ${show(s.peerIP)} are of different address families: reachableBy must be an ${peer === "ipv4" ? "IPv4" : "IPv6"} address`,
      );
    }
  }
  // Calico tests for a nextHopMode at all (a non-nil pointer), so an invalid one conflicts too.
  if (s.keepOriginalNextHop && (s.nextHopMode !== undefined || failed.has("nextHopMode")) && !unknown.has("nextHopMode"))
    rule("keepOriginalNextHop", "must not be true when nextHopMode is set: keepOriginalNextHop is deprecated, use nextHopMode instead");
  // Stricter than Calico's validator (see docs/calico.md, "Deliberate differences"): confd needs these.
  if (s.peerIP !== undefined && s.asNumber === undefined && known("peerIP", "asNumber"))
    rule(
      "asNumber",
      `is required for a peerIP peer (peerIP ${show(s.peerIP)}): give the remote AS, from 1 to 4294967295, as a number, a decimal string or dotted "hi.lo"`,
    );
  if (!has("peerIP") && !has("peerSelector") && !has("localWorkloadSelector"))
    rule("peerIP", "is required: a peer needs one of peerIP, peerSelector or localWorkloadSelector, or calico-node skips it");
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
  if ((FIELDS[field] as FieldDef).zeroActsUnset) {
    if (a === 0) a = undefined;
    if (b === 0) b = undefined;
  }
  if (a === undefined || b === undefined) return a === b;
  if ((field === "peerIP" || field === "reachableBy") && typeof a === "string" && typeof b === "string") {
    return a === b || (canonicalAddress(field, a) ?? a) === (canonicalAddress(field, b) ?? b);
  }
  if (FIELDS[field].kind === "selector" && typeof a === "string" && typeof b === "string") {
    try {
      return canonicalSelector(field, a) === canonicalSelector(field, b);
    } catch {
      return a === b;
    }
  }
  return JSON.stringify(a) === JSON.stringify(b);
}
