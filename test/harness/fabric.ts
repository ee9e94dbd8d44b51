/**
 * An irregular fabric of about `size` BGPPeers, as an operator's calicoctl-made datastore holds
 * them, for import's tests and bench: racks of different sizes with gaps in the host numbers, short
 * and FQDN node names, two naming schemes (calico-upgrade's "<node>.<peer address>" and a custom
 * one), IPv4 and IPv6 ToRs (upper case, and with ports), a rack whose ToRs differ in their password,
 * every spec field calicoctl v3.31 knows, annotations with backticks and "${…}", and one-off peers
 * of every other shape. Values are in the form calicoctl stores them (AS numbers as numbers,
 * durations in Go's spelling), so that the documents can also be written as the Kubernetes
 * datastore's CRs directly. Deterministic: the same size gives the same documents.
 */

type Doc = { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> };

export interface Fabric {
  /** A BGPFilter the peers name, then the peers. */
  docs: Doc[];
  peers: number;
  /** What import should make of it. */
  expect: { racks: number; sets: number; singles: number };
}

const peerDoc = (name: string, spec: object, metadata: object = {}): Doc => ({
  apiVersion: "projectcalico.org/v3",
  kind: "BGPPeer",
  metadata: { name, ...metadata },
  spec: spec as Record<string, unknown>,
});

/** Host numbers 1..n with a gap at every 7th. */
function hostNumbers(n: number): number[] {
  const out: number[] = [];
  for (let h = 1; out.length < n; h++) if (h % 7 !== 0) out.push(h);
  return out;
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: an annotation that holds "${…}" as text, which the generated module must keep.
const ANNOTATIONS = { note: "set by `ops` with ${HOME} unexpanded", "example.com/ticket": 'NET-1234 "quoted" \\ backslash' };

export function irregularFabric(size: number): Fabric {
  const docs: Doc[] = [
    {
      apiVersion: "projectcalico.org/v3",
      kind: "BGPFilter",
      metadata: { name: "edge" },
      spec: { exportV4: [{ action: "Reject", matchOperator: "In", cidr: "10.0.0.0/8" }] } as Record<string, unknown>,
    },
  ];
  const expect = { racks: 0, sets: 0, singles: 0 };
  const add = (d: Doc) => docs.push(d);

  // One-off peers: globals, selector peers and knobs, and a group of two (below a group's minimum).
  const singles: Doc[] = [
    peerDoc("rr-v4", { peerIP: "192.0.2.10", asNumber: 64512 }),
    peerDoc(
      "rr-v6",
      { peerIP: "2001:DB8::10", asNumber: 4200000000, password: { secretKeyRef: { name: "bgp", key: "rr" } } },
      { annotations: { owner: "net <team>", ...ANNOTATIONS } },
    ),
    peerDoc("rr-mesh", { nodeSelector: "has(route-reflector)", peerSelector: "has(route-reflector)" }),
    peerDoc("ported", { peerIP: "[2001:db8::20]:1790", asNumber: 64513, maxRestartTime: "2m0s", ttlSecurity: 0 }),
    peerDoc("selected", { nodeSelector: "rack == 'rack1'", peerIP: "10.9.9.9", asNumber: 64514, sourceAddress: "None" }),
    peerDoc("local-as", { peerIP: "192.0.2.30", asNumber: 64515, localASNumber: 64600, nextHopMode: "Self", reversePeering: "Manual" }),
    peerDoc("workloads", { localWorkloadSelector: "app == 'bgp-speaker'", asNumber: 64516, numAllowedLocalASNumbers: 3 }),
    peerDoc("edge-pair-1", { node: "edge-1", peerIP: "198.51.100.1", asNumber: 64520, filters: ["edge"] }),
    peerDoc("edge-pair-2", { node: "edge-2", peerIP: "198.51.100.1", asNumber: 64520, filters: ["edge"] }),
  ];
  const budget = size - singles.length;
  let peers = 0;
  for (let r = 1; peers < budget; r++) {
    const hosts = hostNumbers(Math.min(16 + ((r * 7) % 25), Math.ceil((budget - peers) / 2)));
    switch (r % 4) {
      case 1:
      case 2: {
        // calico-upgrade's names, short nodes, two IPv4 ToRs: a RackPeers.
        for (const h of hosts)
          for (const t of [1, 2]) {
            const ip = `10.${r >> 8}.${r & 255}.${t}`;
            add(
              peerDoc(
                `rack${r}-host${h}.${ip.replaceAll(".", "-")}`,
                { node: `rack${r}-host${h}`, peerIP: ip, asNumber: 65000 + r },
                { labels: { rack: `rack${r}` } },
              ),
            );
          }
        expect.racks++;
        break;
      }
      case 3: {
        // FQDN nodes, IPv6 ToRs in upper case, shared knobs and annotations: a RackPeers. In odd
        // thirds, the ToRs' passwords differ: a BgpPeerSet for the rack, a group per ToR.
        const perTor = r % 8 === 7;
        for (const h of hosts)
          for (const t of [1, 2]) {
            const node = `host${h}.rack${r}.dc2.example.com`;
            const ip = `2001:DB8:${r.toString(16)}::${t}`;
            const expanded = ["2001", "0db8", r.toString(16).padStart(4, "0"), "0000", "0000", "0000", "0000", t.toString().padStart(4, "0")].join("-");
            add(
              peerDoc(
                `${node}.${expanded}`,
                {
                  node,
                  peerIP: ip,
                  asNumber: 65000 + r,
                  keepOriginalNextHop: true,
                  maxRestartTime: "1m30s",
                  password: { secretKeyRef: { name: "tor-secrets", key: perTor ? `tor${t}` : "all" } },
                },
                { labels: { rack: `rack${r}`, dc: "dc2" }, annotations: ANNOTATIONS },
              ),
            );
          }
        if (perTor) expect.sets++;
        else expect.racks++;
        break;
      }
      default: {
        // A custom naming scheme and an IPv6 ToR with a port: a group per ToR, with the same
        // nodes, so a BgpPeerSet for the rack.
        expect.sets++;
        for (const t of ["a", "b"]) {
          for (const h of hosts)
            add(
              peerDoc(`tor-${t}-r${r}-h${h}`, {
                node: `r${r}-h${h}`,
                peerIP: `[2001:db8:${r.toString(16)}::${t}]:1790`,
                // AS r.1 and r.2 in dotted notation.
                asNumber: r * 65536 + (t === "a" ? 1 : 2),
                sourceAddress: "None",
                numAllowedLocalASNumbers: 2,
                ttlSecurity: 1,
                filters: ["edge"],
                reachableBy: `2001:db8:${r.toString(16)}::fe`,
              }),
            );
        }
      }
    }
    peers += hosts.length * 2;
  }
  for (const d of singles) add(d);
  expect.singles = singles.length;
  return { docs, peers: peers + singles.length, expect };
}
