import { BgpPeer } from "pulumi-calico-bgppeer";

/**
 * Bringing peers that calicoctl (or calico-upgrade) created under management. For a whole fabric,
 * let the command write the program:
 *
 *   npx calico-bgppeer import --out peers.ts   # every peer exactly as it is, with adopt: true
 *   echo 'import "./peers";' >> index.ts
 *   pulumi up                                  # takes them over without a write
 *
 * (RackPeers per rack, BgpPeerSets, BgpPeers for the rest; see docs/cli.md in the package.) With `adopt: true`, `pulumi up` takes the existing object over: it keeps its uid and
 * creationTimestamp, writes only if the declared spec differs, and leaves labels and fields it does
 * not manage alone. Without `adopt`, creating a peer whose name exists fails and names the peer.
 * One peer, declared by hand as `calico-bgppeer get bgppeer NAME -o yaml` shows it:
 */
export = async () => {
  const tor = new BgpPeer("rack001-tor", { name: "rack001-tor", node: "rack1-host1", peerIP: "192.168.1.1", asNumber: 63400, adopt: true });
  return { uid: tor.uid, createdAt: tor.creationTimestamp };
};
