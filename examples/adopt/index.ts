import { BgpPeer } from "../../provider";

/**
 * Bringing peers that calicoctl (or calico-upgrade) created under management. With `adopt: true`,
 * `pulumi up` takes the existing object over: it keeps its uid and creationTimestamp, writes
 * only if the declared spec differs, and leaves labels and fields it does not manage alone.
 * Without `adopt`, creating a peer whose name exists fails and names the peer.
 * Declare the peer exactly as it is (see `calicoctl get bgppeer NAME -o yaml`) to adopt it
 * without a write; a later `pulumi preview` then shows no changes.
 */
export = async () => {
  const tor = new BgpPeer("rack001-tor", { name: "rack001-tor", node: "rack1-host1", peerIP: "192.168.1.1", asNumber: 63400, adopt: true });
  return { uid: tor.uid, createdAt: tor.creationTimestamp };
};
