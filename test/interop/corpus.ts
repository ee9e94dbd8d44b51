/**
 * A seeded generator of BGPPeer documents for differential validation against calicoctl. Each
 * document starts from one of the shapes a real peer takes (node peer, global peer, selector
 * peers, local workload peer) and then has a few fields set to values drawn from pools of valid
 * and invalid values, so that single-field rules, types and cross-field rules are all exercised.
 * The same seed always gives the same corpus.
 */

export interface PeerDoc {
  apiVersion: "projectcalico.org/v3";
  kind: "BGPPeer";
  metadata: { name?: unknown; labels?: unknown; annotations?: unknown };
  spec: Record<string, unknown>;
}

/** mulberry32: tiny, fast, and good enough to spread a corpus. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SELECTORS_OK = [
  "has(rr)",
  "rack == 'r1' && has(tor)",
  "all()",
  "!has(route-reflector)",
  "rack in {'r1', 'r2'}",
  "rack not in {'r3'}",
  "zone contains 'east'",
  "a == 'b' || (c != 'd' && has(e))",
  "has(projectcalico.org/name)",
  "rack starts with 'r' && !(rack ends with '9')",
  "  has(rr)  ",
  "global()",
];
const SELECTORS_BAD = ["has(", "rack = 'r1'", "&& has(x)", "rack == r1", "has(rr) &&", "rack in {r1}", "has(a b)", "!!"];

/** Field → values, each pool mixing valid and invalid values of the right and wrong JSON types. */
export const POOLS: Record<string, unknown[]> = {
  // The last string: valid labels, 255 characters in all (Calico checks node against the name regex only).
  node: [
    "rack1-host1",
    "node.example.com",
    "n1",
    "Rack1-Host1",
    "node_1",
    "-node",
    "node-",
    "",
    "a".repeat(64),
    `${"a".repeat(63)}.b`,
    42,
    Array(4).fill("a".repeat(63)).join("."),
  ],
  nodeSelector: [...SELECTORS_OK, ...SELECTORS_BAD, ""],
  peerIP: [
    "10.0.0.1",
    "192.168.1.254",
    "2001:db8::1",
    "2001:DB8::A",
    "10.0.0.1:179",
    "10.0.0.1:65535",
    "[2001:db8::1]:1179",
    "::ffff:10.0.0.1",
    "::",
    "0.0.0.0",
    "10.0.0.300",
    "10.0.0.1:0",
    "10.0.0.1:65536",
    "10.0.0.1:port",
    "010.0.0.1",
    "fe80::1%eth0",
    "peer.example.com",
    "[10.0.0.1]:179",
    "10.0.0.1:",
    "10.0.0.0/24",
    " 10.0.0.1",
    "[2001:db8::1]",
    "",
    17,
  ],
  asNumber: [64512, 1, 4294967295, "64512", "1.103", "65535.65535", "0.1", 0, 4294967296, -1, "65536.1", "1.65536", "abc", "1..2", 1.5, "", "0x10", " 5", true],
  localASNumber: [64513, "2.5", "64514", 0, 4294967296, "x", -3],
  peerSelector: [...SELECTORS_OK, ...SELECTORS_BAD, ""],
  keepOriginalNextHop: [true, false, "true"],
  nextHopMode: ["Auto", "Self", "Keep", "auto", "Bogus", ""],
  password: [
    { secretKeyRef: { name: "bgp-secrets", key: "rr-password" } },
    { secretKeyRef: { name: "bgp-secrets", key: "k.1_x-y", optional: true } },
    { secretKeyRef: { name: "bgp-secrets", key: "k", optional: false } },
    { secretKeyRef: { name: "Bad_Name", key: "k" } },
    { secretKeyRef: { name: "s", key: "bad key" } },
    { secretKeyRef: { name: "s", key: "a/b" } },
    { secretKeyRef: { name: "s", key: "k", extra: 1 } },
    "hunter2",
  ],
  sourceAddress: ["UseNodeIP", "None", "none", "Other", ""],
  maxRestartTime: ["120s", "2m0s", "2m", "1h30m", "1.5s", "300ms", "0s", "0", "1h0m0.5s", "5x", "1d", "-5s", "10", 120, ""],
  // Calico v3.32's field: calicoctl v3.31 knows no keepaliveTime.
  keepaliveTime: ["30s", "1m", "-5s", "x"],
  numAllowedLocalASNumbers: [1, 3, 0, 2147483647, 2147483648, -1, 1.5, "2"],
  ttlSecurity: [1, 255, 0, 256, -1, 1.5, "3"],
  reachableBy: ["10.0.0.254", "2001:db8::fe", "10.0.0.300", "fe80::1", "10.0.0.254:179", "gw", ""],
  filters: [["f1"], ["f1", "f2"], ["Bad_F"], [], ["ok", "-bad"], [""], "f1"],
  localWorkloadSelector: [...SELECTORS_OK.slice(0, 6), ...SELECTORS_BAD.slice(0, 4)],
  reversePeering: ["Auto", "Manual", "manual", "X", ""],
};

export const METADATA_POOLS: Record<"name" | "labels" | "annotations", unknown[]> = {
  name: [
    "peer-1",
    "rack1-host1.10-0-0-1",
    "a",
    "rr.v6",
    "9peer",
    "x".repeat(253),
    "Peer",
    "-peer",
    "peer_1",
    "peer..x",
    "x".repeat(254),
    "peer-",
    ".peer",
    "a b",
    "",
  ],
  labels: [{ a: "b" }, { "example.com/tier": "rr" }, { rack: "" }, { "Bad Key": "v" }, { k: "-bad" }, { k: "x".repeat(64) }, { "a/b/c": "v" }],
  annotations: [{ note: "any text at all: spaces, <html> & unicode é" }, { "example.com/Owner": "net" }, { "bad key": "v" }, { "": "v" }],
};

type Shape = () => Record<string, unknown>;
const SHAPES: Shape[] = [
  () => ({ node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 64512 }),
  () => ({ peerIP: "10.0.0.100", asNumber: "1.103" }),
  () => ({ peerIP: "2001:db8::100", asNumber: 64512, keepOriginalNextHop: true }),
  () => ({ nodeSelector: "!has(rr)", peerSelector: "has(rr)" }),
  () => ({ nodeSelector: "rack == 'r1'", peerIP: "10.1.0.1:1179", asNumber: 65001, sourceAddress: "None" }),
  () => ({ localWorkloadSelector: "app == 'bgp-speaker'", asNumber: 65100 }),
  () => ({ peerIP: "10.0.0.1", asNumber: 64512, reachableBy: "10.0.0.254", password: { secretKeyRef: { name: "bgp", key: "pw" } } }),
  () => ({
    nodeSelector: "has(edge)",
    peerIP: "10.2.0.1",
    asNumber: 64999,
    localASNumber: 64998,
    nextHopMode: "Self",
    maxRestartTime: "2m",
    numAllowedLocalASNumbers: 2,
    ttlSecurity: 1,
    filters: ["f1"],
    reversePeering: "Manual",
  }),
  () => ({}),
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** `count` documents from `seed`. Fields are mutated 0 to 3 at a time; metadata now and then. */
export function generateCorpus(seed: number, count: number): PeerDoc[] {
  const r = rng(seed);
  const fields = Object.keys(POOLS);
  const out: PeerDoc[] = [];
  for (let i = 0; i < count; i++) {
    const spec = pick(r, SHAPES)();
    const mutations = Math.floor(r() * 4);
    for (let m = 0; m < mutations; m++) {
      const f = pick(r, fields);
      if (r() < 0.15) delete spec[f];
      else spec[f] = structuredClone(pick(r, POOLS[f]));
    }
    // Now and then a field name in other letter case, which Go's JSON decoder matches.
    const keys = Object.keys(spec);
    if (keys.length && r() < 0.06) {
      const key = pick(r, keys);
      const variant = pick(r, [key.toUpperCase(), key.toLowerCase(), key[0].toUpperCase() + key.slice(1)]);
      if (variant !== key) {
        spec[variant] = spec[key];
        delete spec[key];
      }
    }
    const metadata: PeerDoc["metadata"] = { name: r() < 0.85 ? `peer-${i}` : pick(r, METADATA_POOLS.name) };
    if (r() < 0.2) metadata.labels = structuredClone(pick(r, METADATA_POOLS.labels));
    if (r() < 0.15) metadata.annotations = structuredClone(pick(r, METADATA_POOLS.annotations));
    out.push({ apiVersion: "projectcalico.org/v3", kind: "BGPPeer", metadata, spec });
  }
  return out;
}

/**
 * One document per deliberate difference, so that each is hit whatever the seed draws: a peer that
 * is valid to calicoctl v3.31 but for the one field the difference is about.
 */
export function pinnedDocs(): PeerDoc[] {
  const peer = { peerIP: "10.0.0.1", asNumber: 64512 };
  const specs: Array<Record<string, unknown>> = [
    { ...peer, node: Array(4).fill("a".repeat(63)).join(".") },
    { ...peer, node: 42 },
    { PEERIP: "10.0.0.1", asNumber: 64512 },
    { ...peer, keepaliveTime: "30s" },
    { peerIP: "10.0.0.1" },
    { node: "rack1-host1" },
    { ...peer, nextHopMode: "Bogus" },
    { ...peer, maxRestartTime: "-5s" },
    { ...peer, numAllowedLocalASNumbers: -1 },
    { ...peer, localASNumber: 0 },
    { ...peer, password: { secretKeyRef: { name: "Bad_Name", key: "k" } } },
    // Limits that bound check's cost and keep every accepted peer writable.
    { peerIP: `10.0.0.1:${"0".repeat(60)}179`, asNumber: 64512 },
    { ...peer, nodeSelector: `${"has(a) && ".repeat(410)}has(b)` },
    { ...peer, nodeSelector: `${"(".repeat(300)}has(a)${")".repeat(300)}` },
    { ...peer, filters: Array.from({ length: 128 }, (_, i) => `f${i}`) },
  ];
  const docs: PeerDoc[] = specs.map((spec, i) => ({ apiVersion: "projectcalico.org/v3", kind: "BGPPeer", metadata: { name: `pinned-${i}` }, spec }));
  // Within Kubernetes' 256 KiB of annotations, but six times that as Go escapes it in JSON.
  docs.push({
    apiVersion: "projectcalico.org/v3",
    kind: "BGPPeer",
    metadata: { name: "pinned-big-annotation", annotations: { note: "\u0000".repeat(262_000) } },
    spec: peer,
  });
  return docs;
}

/** The same document as BgpPeer inputs: the Calico name, the spec fields, labels and annotations. */
export function toInputs(doc: PeerDoc): Record<string, unknown> {
  const { name, labels, annotations } = doc.metadata;
  return { name, ...doc.spec, ...(labels !== undefined ? { labels } : {}), ...(annotations !== undefined ? { annotations } : {}) };
}
