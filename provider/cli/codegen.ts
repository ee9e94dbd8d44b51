import { parseIP } from "../model/ip";
import { OWNER_ANNOTATION } from "../model/keys";
import { ipToName } from "../model/names";
import { markOf } from "../model/uid";
import { naturalCompare } from "./goyaml";
import type { PeerView } from "./view";

/**
 * `calico-bgppeer import` (and `convert -o ts`): a TypeScript module that declares existing peers
 * with `adopt: true`, each with its exact spec, Calico name, labels and annotations, so that the
 * first `pulumi up` takes them over without a write.
 *
 * By default the module declares a fabric the way it scales: the engine saves its whole checkpoint
 * after every resource, so a resource per peer makes an up of a thousand peers take minutes, and
 * every later up pays it again. A rack's node peers (every host with each of its ToRs, named as
 * calico-upgrade names them) become one RackPeers; other groups of node peers that share a spec
 * one BgpPeerSet; only a peer that shares its spec with no other is a BgpPeer. `perPeer` keeps one
 * BgpPeer per peer, for users who want `--target` and resource options per peer.
 */

type Json = Record<string, unknown>;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Where generated lists wrap. */
const WIDTH = 100;

/** A TypeScript literal: JSON, with keys bare where they can be. */
function literal(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => literal(x)).join(", ")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Json);
    if (entries.length === 0) return "{}";
    return `{ ${entries.map(([k, x]) => `${IDENT.test(k) ? k : JSON.stringify(k)}: ${literal(x)}`).join(", ")} }`;
  }
  return JSON.stringify(v);
}

/** Items as lines of at most WIDTH columns (an item longer than that on a line of its own), each ending in a comma. */
function wrapped(items: string[], indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const item of items) {
    if (line && indent.length + line.length + 1 + item.length + 1 > WIDTH) {
      lines.push(`${indent}${line}`);
      line = "";
    }
    line = line ? `${line} ${item},` : `${item},`;
  }
  if (line) lines.push(`${indent}${line}`);
  return lines;
}

/**
 * What a BgpPeer declares for a stored peer: its spec, then the labels and annotations it has, but
 * a stack's mark, which BgpPeer sets itself and refuses as an input.
 */
function argsOf(v: PeerView): Json {
  const args: Json = { ...v.spec };
  if (v.metadata.labels) args.labels = v.metadata.labels;
  const annotations = v.metadata.annotations as Record<string, string> | undefined;
  if (annotations && Object.hasOwn(annotations, OWNER_ANNOTATION)) {
    const { [OWNER_ANNOTATION]: _mark, ...rest } = annotations;
    if (Object.keys(rest).length) args.annotations = rest;
  } else if (annotations) args.annotations = annotations;
  return args;
}

/** The name suffix calico-upgrade gives a node peer of this address ("<node>.<suffix>"), or undefined. */
function upgradeSuffix(peerIP: unknown): string | undefined {
  const ip = typeof peerIP === "string" ? parseIP(peerIP) : undefined;
  return ip ? ipToName(ip) : undefined;
}

const inNameOrder = (a: PeerView, b: PeerView) => naturalCompare(String(a.metadata.name), String(b.metadata.name));

/** Node peers with the same spec but for the node. */
interface Group {
  /** Everything but node and name, the same for every peer of the group. */
  common: Json;
  /** [Calico name, node] per peer, in natural order of the name. */
  rows: [string, string][];
  /** The resource name it wants, when its members' names do not say it best. */
  called?: string;
}

/** Node peers named "<node>.<peer address>" that share their nodes: every node with each peer address. */
interface Rack {
  nodes: string[];
  /** Per peer address: the suffix of the peers' names, and the group's spec. */
  peers: [string, Json][];
}

/** The fields RackPeers takes per ToR; the rest of a rack's spec is its `peer`, shared by every ToR. */
const TOR_FIELDS = ["peerIP", "asNumber"];
/** Fields a RackPeers' `peer` cannot hold (RackPeerDefaults). */
const NOT_RACK_DEFAULTS = ["name", "scope", "node", "hostname", "nodeSelector", "peerSelector"];

/** The shared part of a rack's specs, if its ToRs differ in nothing but their address and AS number. */
function rackDefaults(r: Rack): Json | undefined {
  let shared: string | undefined;
  for (const [, spec] of r.peers) {
    if (typeof spec.peerIP !== "string" || spec.asNumber === undefined) return undefined;
    const rest = Object.fromEntries(Object.entries(spec).filter(([k]) => !TOR_FIELDS.includes(k)));
    if (NOT_RACK_DEFAULTS.some((k) => k in rest)) return undefined;
    const text = JSON.stringify(rest);
    if (shared !== undefined && text !== shared) return undefined;
    shared = text;
  }
  return shared === undefined ? undefined : JSON.parse(shared);
}

interface Layout {
  racks: Rack[];
  groups: Group[];
  singles: PeerView[];
}

/**
 * The peers by shape: node peers that differ only in their node form groups (at least `minGroup`
 * peers); groups named the calico-upgrade way that share their node list form racks.
 */
function layout(views: PeerView[], minGroup: number): Layout {
  const byShape = new Map<string, Group>();
  const byName = new Map<string, PeerView>();
  const singles: PeerView[] = [];
  for (const v of views) {
    byName.set(String(v.metadata.name), v);
    const { node, ...rest } = argsOf(v);
    if (typeof node !== "string") {
      singles.push(v);
      continue;
    }
    const key = JSON.stringify(rest);
    const g = byShape.get(key) ?? { common: rest, rows: [] };
    g.rows.push([String(v.metadata.name), node]);
    byShape.set(key, g);
  }
  const racks = new Map<string, Rack>();
  const groups: Group[] = [];
  for (const g of byShape.values()) {
    if (g.rows.length < minGroup) {
      for (const [name] of g.rows) singles.push(byName.get(name)!);
      continue;
    }
    const suffix = upgradeSuffix(g.common.peerIP);
    if (suffix === undefined || !g.rows.every(([name, node]) => name === `${node}.${suffix}`)) {
      groups.push(g);
      continue;
    }
    const nodes = g.rows.map(([, node]) => node).sort(naturalCompare);
    const key = JSON.stringify(nodes);
    const r = racks.get(key) ?? { nodes, peers: [] };
    r.peers.push([suffix, g.common]);
    racks.set(key, r);
  }
  singles.sort(inNameOrder);
  return { racks: [...racks.values()], groups, singles };
}

/** A readable resource name for a group: what its members' names share at the start or the end, whichever says more. */
function commonName(names: string[]): string {
  const sorted = [...names].sort();
  const [first, last] = [sorted[0], sorted[sorted.length - 1]];
  let p = 0;
  while (p < first.length && first[p] === last[p]) p++;
  let s = 0;
  while (s < first.length - p && first[first.length - 1 - s] === last[last.length - 1 - s]) s++;
  // Only whole tokens: "rack1-host1" and "rack1-host12" share "rack1-host1", which names neither.
  const prefix = names.every((n) => n.length === p || /[-.]/.test(n[p]))
    ? first.slice(0, p)
    : first.slice(0, p).replace(/[A-Za-z0-9]+$/, "") || first.slice(0, p).replace(/[0-9]+$/, "");
  const suffix = names.every((n) => n.length === s || /[-.]/.test(n[n.length - 1 - s]))
    ? first.slice(first.length - s)
    : first.slice(first.length - s).replace(/^[A-Za-z0-9]+/, "");
  const trim = (t: string) => t.replace(/^[-.]+|[-.]+$/g, "");
  const [a, b] = [trim(prefix), trim(suffix)];
  return b.length > a.length ? b : a;
}

/** Unique names, in order: a name taken before gets "-2", "-3", … */
function uniqueNames(wanted: string[], taken: Set<string>): string[] {
  return wanted.map((w) => {
    let name = w;
    for (let i = 2; taken.has(name); i++) name = `${w}-${i}`;
    taken.add(name);
    return name;
  });
}

export interface CodegenOptions {
  /** Where the module says the peers came from. */
  source: string;
  /** The package to import the resource classes from. */
  from?: string;
  /** At least this many node peers with one spec make a group; fewer are declared one by one. */
  minGroup?: number;
  /** One BgpPeer per peer (the module of versions before 0.2), instead of RackPeers and BgpPeerSets. */
  perPeer?: boolean;
}

const from = (opts: CodegenOptions) => opts.from ?? "pulumi-calico-bgppeer";

function header(views: PeerView[], opts: CodegenOptions, what: string): string[] {
  const marks = new Map<string, number>();
  for (const v of views) {
    const mark = markOf(v.metadata);
    if (mark !== undefined) marks.set(mark, (marks.get(mark) ?? 0) + 1);
  }
  const marked = [...marks.values()].reduce((a, b) => a + b, 0);
  return [
    `// Generated by calico-bgppeer from ${opts.source}: ${views.length} BGP peer(s)${what}.`,
    "// Each peer is declared exactly as it was found, with adopt: true: where it exists, the first",
    "// `pulumi up` takes it over without writing (its uid and creationTimestamp are kept), and",
    "// creates it where it does not. Edit freely from then on.",
    '// Import this module from the program (`import "./peers";` in index.ts) rather than making it',
    "// the program: a program's exports are stack outputs, and these hold every peer, which each",
    "// preview and up would print.",
    ...(marked
      ? [
          `// ${marked} of them carry a Pulumi stack's mark (${[...marks].map(([stack, n]) => `${stack}: ${n}`).join(", ")}): an up of any`,
          '// other stack refuses them, naming it, until that stack lets go or their adopt is "force".',
        ]
      : []),
  ];
}

function single(v: PeerView): string {
  const name = String(v.metadata.name);
  return `peers[${JSON.stringify(name)}] = new BgpPeer(${JSON.stringify(name)}, ${literal({ name, ...argsOf(v), adopt: true })});`;
}

export function generateModule(unordered: PeerView[], opts: CodegenOptions): string {
  // In natural order of the name, so that the module is the same whatever order the peers were read in.
  const views = [...unordered].sort(inNameOrder);
  const shape = layout(views, opts.minGroup ?? 3);
  const text = opts.perPeer ? perPeerModule(views, shape, opts) : groupedModule(views, shape, opts);
  return `${text.join("\n").trimEnd()}\n`;
}

/**
 * Groups with exactly the same nodes, together: a rack is one resource whatever its ToRs share,
 * as a user reads it, and an up pays the engine and its hosts per resource as well as per peer.
 */
function byNodes(groups: Group[]): Group[][] {
  const sets = new Map<string, Group[]>();
  for (const g of groups) {
    const key = JSON.stringify(nodesOf(g));
    sets.set(key, [...(sets.get(key) ?? []), g]);
  }
  return [...sets.values()].map((set) => set.sort((a, b) => naturalCompare(a.rows[0][0], b.rows[0][0])));
}

const nodesOf = (g: Group) => g.rows.map(([, node]) => node).sort(naturalCompare);

/** A set's resource name: its nodes' for a rack (several groups), else what its members' names share. */
function setName(set: Group[], i: number): string {
  const names = set.flatMap((g) => g.rows.map(([name]) => name));
  return (set.length > 1 ? commonName(nodesOf(set[0])) : set[0].called) || commonName(names) || `set${i + 1}`;
}

/** RackPeers per rack, a BgpPeerSet per other rack or group, a BgpPeer per peer left. */
function groupedModule(views: PeerView[], shape: Layout, opts: CodegenOptions): string[] {
  const racks: [Rack, Json][] = [];
  const groups = [...shape.groups];
  for (const r of shape.racks) {
    const peer = rackDefaults(r);
    if (peer) racks.push([r, peer]);
    // ToRs that differ in more than address and AS number: a group per ToR, which byNodes puts in one set.
    else {
      const rackName = commonName(r.nodes);
      for (const [suffix, common] of r.peers)
        groups.push({ common, rows: r.nodes.map((n) => [`${n}.${suffix}`, n]), called: rackName && `${rackName}.${suffix}` });
    }
  }
  for (const g of groups) g.rows.sort(([a], [b]) => naturalCompare(a, b));
  const sets = byNodes(groups);
  const taken = new Set(shape.singles.map((v) => String(v.metadata.name)));
  const rackNames = uniqueNames(
    racks.map(([r], i) => commonName(r.nodes) || `rack${i + 1}`),
    taken,
  );
  const setNames = uniqueNames(sets.map(setName), taken);
  const classes = [...(shape.singles.length ? ["BgpPeer"] : []), ...(sets.length ? ["BgpPeerSet"] : []), ...(racks.length ? ["RackPeers"] : [])];
  const counts = [
    racks.length && `${racks.length} RackPeers`,
    sets.length && `${sets.length} BgpPeerSet(s)`,
    shape.singles.length && `${shape.singles.length} BgpPeer(s)`,
  ].filter(Boolean);
  const out = [
    ...header(views, opts, counts.length ? ` as ${counts.join(", ")}` : ""),
    ...(classes.length ? [`import { ${classes.join(", ")} } from "${from(opts)}";`] : []),
    // A separate type import: the TypeScript Pulumi falls back to (3.8) has no inline `type`.
    ...(sets.length ? [`import type { BgpPeerSetEntry } from "${from(opts)}";`] : []),
    "",
    "/** Each rack's node peers, one resource a rack: every host with each of its ToRs. */",
    `export const racks: Record<string, ${racks.length ? "RackPeers" : "unknown"}> = {};`,
    "/** Other node peers that share a spec, one resource a group (groups with the same nodes together). */",
    `export const sets: Record<string, ${sets.length ? "BgpPeerSet" : "unknown"}> = {};`,
    "/** Every other peer, by Calico name. */",
    `export const peers: Record<string, ${shape.singles.length ? "BgpPeer" : "unknown"}> = {};`,
    "",
  ];
  if (sets.length) {
    out.push(
      "/** Node peers that share a spec: one entry per [Calico name, node]. */",
      "function nodePeers(spec: BgpPeerSetEntry, rows: [string, string][]): BgpPeerSetEntry[] {",
      "  return rows.map(([name, node]) => ({ ...spec, name, node }));",
      "}",
      "",
    );
  }
  const inOrder = <T>(items: T[], names: string[]): [T, string][] =>
    items.map((x, i): [T, string] => [x, names[i]]).sort(([, a], [, b]) => naturalCompare(a, b));
  for (const [[r, peer], name] of inOrder(racks, rackNames)) {
    out.push(
      `/** ${r.nodes.length} host(s) x ${r.peers.length} ToR(s): ${r.nodes.length * r.peers.length} peers named "<host>.<ToR address>". */`,
      `racks[${JSON.stringify(name)}] = new RackPeers(${JSON.stringify(name)}, {`,
      "  hosts: [",
      ...wrapped(
        r.nodes.map((n) => JSON.stringify(n)),
        "    ",
      ),
      "  ],",
      "  tors: [",
      ...r.peers.map(([, spec]) => `    ${literal({ ip: spec.peerIP, asNumber: spec.asNumber })},`),
      "  ],",
      ...(Object.keys(peer).length ? [`  peer: ${literal(peer)},`] : []),
      "  adopt: true,",
      "});",
      "",
    );
  }
  const rowsOf = (g: Group, indent: string) =>
    wrapped(
      g.rows.map(([n, node]) => `[${JSON.stringify(n)}, ${JSON.stringify(node)}]`),
      indent,
    );
  for (const [set, name] of inOrder(sets, setNames)) {
    const [g] = set;
    const head =
      set.length > 1
        ? `/** ${g.rows.length} node(s) x ${set.length} specs: ${set.reduce((n, x) => n + x.rows.length, 0)} node peers. */`
        : `/** ${g.rows.length} node peers with the same spec. */`;
    out.push(head, `sets[${JSON.stringify(name)}] = new BgpPeerSet(${JSON.stringify(name)}, {`);
    if (set.length === 1) out.push(`  peers: nodePeers(${literal(g.common)}, [`, ...rowsOf(g, "    "), "  ]),");
    else {
      out.push("  peers: [");
      for (const x of set) out.push(`    ...nodePeers(${literal(x.common)}, [`, ...rowsOf(x, "      "), "    ]),");
      out.push("  ],");
    }
    out.push("  adopt: true,", "});", "");
  }
  for (const v of shape.singles) out.push(single(v));
  return out;
}

/** One BgpPeer per peer: a rack's peers as a node list and a loop over its ToRs, other groups as data and a loop. */
function perPeerModule(views: PeerView[], shape: Layout, opts: CodegenOptions): string[] {
  const out = [
    ...header(views, opts, ", one BgpPeer each"),
    `import { BgpPeer } from "${from(opts)}";`,
    `import type { BgpPeerArgs } from "${from(opts)}";`,
    "",
    "/** Every peer declared here, by Calico name. */",
    "export const peers: Record<string, BgpPeer> = {};",
    "",
  ];
  let i = 0;
  for (const r of shape.racks) {
    i++;
    out.push(
      `/** ${r.nodes.length} node(s), each peering with ${r.peers.length} peer(s): ${r.nodes.length * r.peers.length} peers named "<node>.<peer address>". */`,
      `const nodes${i} = [`,
      ...r.nodes.map((n) => `  ${JSON.stringify(n)},`),
      "];",
      "for (const [address, spec] of [",
      ...r.peers.map(([suffix, common]) => `  [${JSON.stringify(suffix)}, ${literal(common)}],`),
      "] as [string, BgpPeerArgs][]) {",
      `  for (const node of nodes${i}) {`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: this is the generated code's template literal.
      "    const name = `${node}.${address}`;",
      "    peers[name] = new BgpPeer(name, { ...spec, name, node, adopt: true });",
      "  }",
      "}",
      "",
    );
  }
  for (const g of shape.groups) {
    i++;
    out.push(
      `/** ${g.rows.length} node peers with the same spec. */`,
      `const spec${i}: BgpPeerArgs = ${literal(g.common)};`,
      "for (const [name, node] of [",
      ...g.rows.map(([name, node]) => `  [${JSON.stringify(name)}, ${JSON.stringify(node)}],`),
      "] as [string, string][]) {",
      `  peers[name] = new BgpPeer(name, { ...spec${i}, name, node, adopt: true });`,
      "}",
      "",
    );
  }
  for (const v of shape.singles) out.push(single(v));
  return out;
}
