import * as pulumi from "@pulumi/pulumi";
// The demo runs this file from the repository through ts-node, where the package's own name does
// not resolve for the type checker (TS2209: the exports map's "." needs a rootDir it cannot
// infer); a user's program imports "pulumi-calico-bgppeer".
import { BgpPeer, RackPeers } from "../../provider";

/** A rack: its hosts (Calico node names) and its two top-of-rack switches. */
interface Rack {
  name: string;
  hosts: string[];
  tors: { ip: string; asNumber: number | string }[];
}

const DEFAULT_RACKS: Rack[] = [
  {
    name: "r1",
    hosts: ["r1-host1", "r1-host2", "r1-host3"],
    tors: [
      { ip: "10.1.0.1", asNumber: 65101 },
      { ip: "10.1.0.2", asNumber: 65101 },
    ],
  },
  {
    name: "r2",
    hosts: ["r2-host1", "r2-host2", "r2-host3"],
    tors: [
      { ip: "10.2.0.1", asNumber: 65102 },
      { ip: "10.2.0.2", asNumber: 65102 },
    ],
  },
  // A 4-byte ASN in dotted notation.
  {
    name: "r3",
    hosts: ["r3-host1", "r3-host2"],
    tors: [
      { ip: "10.3.0.1", asNumber: "1.103" },
      { ip: "10.3.0.2", asNumber: "1.103" },
    ],
  },
];

/**
 * A small fabric: each rack's hosts peer with its two ToRs (one RackPeers per rack: a resource for
 * many peers), plus one-off BgpPeers: route reflectors and a selector peer.
 */
export = async () => {
  const config = new pulumi.Config();
  const racks = config.getObject<Rack[]>("racks") ?? DEFAULT_RACKS;
  // Every host with each ToR, named the calico-upgrade way, e.g. "r1-host1.10-1-0-1".
  const rackPeers = racks.map((rack) => new RackPeers(rack.name, { hosts: rack.hosts, tors: rack.tors, peer: { labels: { rack: rack.name } } }));
  const rrV4 = new BgpPeer("rr-v4", { name: "rr-v4", peerIP: "10.0.0.10", asNumber: 64512, maxRestartTime: "120s" });
  const rrV6 = new BgpPeer("rr-v6", { name: "rr-v6", peerIP: "2001:db8::10", asNumber: 64512, sourceAddress: "None" });
  // Nodes labelled route-reflector peer with each other (a full mesh between reflectors).
  const rrMesh = new BgpPeer("rr-mesh", { name: "rr-mesh", nodeSelector: "has(route-reflector)", peerSelector: "has(route-reflector)" });
  const hostPeerNames = pulumi.all(rackPeers.map((r) => r.peers)).apply((sets) => sets.flatMap((s) => Object.keys(s)));
  return {
    hostPeerCount: hostPeerNames.apply((n) => n.length),
    hostPeers: hostPeerNames,
    routeReflectors: [rrV4.peerIP, rrV6.peerIP],
    selectorPeer: rrMesh.name,
  };
};
