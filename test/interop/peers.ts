import { stringify } from "yaml";
import type { BgpPeerArgs } from "../../provider";

/** Peers of every kind through BgpPeer: resource name → args. Names in etcd are given where the seed model would derive one. */
export const OURS: Record<string, BgpPeerArgs> = {
  "seed-node": { scope: "node", hostname: "Rack1-Host1", peerIP: "10.1.0.1", asNumber: "64512.1" },
  "seed-global": { scope: "global", peerIP: "10.0.0.100", asNumber: 64512 },
  "rr-v6": { name: "rr-v6", peerIP: "2001:DB8::100", asNumber: 64512 },
  "tor-port-v4": { name: "tor-port-v4", node: "rack2-host1", peerIP: "10.2.0.1:1179", asNumber: 65001 },
  "tor-port-v6": { name: "tor-port-v6", node: "rack2-host1", peerIP: "[2001:db8::2]:1179", asNumber: "1.103" },
  "rr-mesh": { name: "rr-mesh", nodeSelector: "!has(rr) && rack == 'r1'", peerSelector: "has(rr)&&rack=='r1'", labels: { team: "net" } },
  "edge-full": {
    name: "edge-full",
    nodeSelector: "has(edge)",
    peerIP: "10.3.0.1",
    asNumber: 64999,
    localASNumber: "1.5",
    nextHopMode: "Self",
    password: { secretKeyRef: { name: "bgp-secrets", key: "edge" } },
    sourceAddress: "None",
    maxRestartTime: "90s",
    numAllowedLocalASNumbers: 2,
    ttlSecurity: 1,
    reachableBy: "10.3.0.254",
    filters: ["f1", "f2"],
    reversePeering: "Manual",
    labels: { tier: "edge" },
    annotations: { "example.com/owner": "net & ops <noc>" },
  },
  "edge-keep": {
    name: "edge-keep",
    node: "edge1",
    peerIP: "10.4.0.1",
    asNumber: 65000,
    keepOriginalNextHop: true,
    password: { secretKeyRef: { name: "bgp-secrets", key: "keep", optional: true } },
    sourceAddress: "UseNodeIP",
  },
  "local-speaker": { name: "local-speaker", localWorkloadSelector: "app == 'bgp-speaker'", asNumber: 65100, reversePeering: "Auto", nextHopMode: "Keep" },
  // Addresses in forms other than Go's canonical text: calicoctl stores them as typed, and so do we.
  "addr-v6-upper": { name: "addr-v6-upper", peerIP: "2001:DB8:0:7::1", asNumber: 64512 },
  "addr-v4-mapped": { name: "addr-v4-mapped", peerIP: "::ffff:10.0.0.1", asNumber: 64512 },
  "addr-port-zeros": { name: "addr-port-zeros", peerIP: "10.0.0.1:00179", asNumber: 64512 },
  "addr-bracket-v4": { name: "addr-bracket-v4", peerIP: "[10.0.0.1]:179", asNumber: 64512 },
  "addr-reach-v6": { name: "addr-reach-v6", peerIP: "2001:db8::5", asNumber: 64512, reachableBy: "2001:DB8::FE" },
  // An explicit 0 is stored as calicoctl stores it (a *int32); calico-node reads it as unset.
  "allow-zero": { name: "allow-zero", peerIP: "10.5.0.1", asNumber: 65005, numAllowedLocalASNumbers: 0 },
};
export const NAMES: Record<string, string> = { "seed-node": "rack1-host1.10-1-0-1", "seed-global": "10-0-0-100" };
export const nameOf = (res: string) => NAMES[res] ?? (OURS[res].name as string);

/** Peers as calicoctl users write them: manifests for `calicoctl create` and `apply`. */
export const DOCS = [
  { metadata: { name: "cc-node" }, spec: { node: "rack3-host1", peerIP: "10.30.0.1", asNumber: "64512.3" } },
  { metadata: { name: "cc-global-v6" }, spec: { peerIP: "2001:DB8:0:0::30", asNumber: "65030" } },
  { metadata: { name: "cc-port" }, spec: { node: "rack3-host2", peerIP: "[2001:db8::31]:1179", asNumber: 65031 } },
  { metadata: { name: "cc-mesh", labels: { team: "net" } }, spec: { nodeSelector: "!has(rr)", peerSelector: "has(rr)&&rack in{'r3'}" } },
  {
    metadata: { name: "cc-full", labels: { tier: "edge" }, annotations: { note: "owned by <noc> & friends" } },
    spec: {
      nodeSelector: "has( edge )",
      peerIP: "10.31.0.1",
      asNumber: 64999,
      localASNumber: "1.6",
      nextHopMode: "Keep",
      password: { secretKeyRef: { name: "bgp-secrets", key: "cc", optional: false } },
      sourceAddress: "UseNodeIP",
      maxRestartTime: "1h",
      numAllowedLocalASNumbers: 1,
      ttlSecurity: 255,
      reachableBy: "10.31.0.254",
      filters: ["f2"],
      reversePeering: "Auto",
    },
  },
  { metadata: { name: "cc-keep" }, spec: { peerIP: "10.32.0.1", asNumber: 65032, keepOriginalNextHop: true } },
  { metadata: { name: "cc-local" }, spec: { localWorkloadSelector: "app=='speaker'", asNumber: 65033 } },
  { metadata: { name: "cc-allow0" }, spec: { peerIP: "10.34.0.1", asNumber: 65034, numAllowedLocalASNumbers: 0 } },
].map((d) => ({ apiVersion: "projectcalico.org/v3", kind: "BGPPeer", ...d }));

/** The BGPFilters f1 and f2 that peers of OURS and DOCS name, as one calicoctl manifest. */
export const FILTERS = ["f1", "f2"]
  .map((name) =>
    stringify({
      apiVersion: "projectcalico.org/v3",
      kind: "BGPFilter",
      metadata: { name },
      spec: { exportV4: [{ action: "Reject", matchOperator: "In", cidr: "10.0.0.0/8" }] },
    }),
  )
  .join("---\n");

/** A calicoctl document for a peer as `get -o yaml` shows it, without what the datastore assigns, under `name`. */
export function asInput(doc: any, name = doc.metadata.name): string {
  const { uid, resourceVersion, creationTimestamp, ...meta } = doc.metadata;
  return stringify({ ...doc, metadata: { ...meta, name } });
}
