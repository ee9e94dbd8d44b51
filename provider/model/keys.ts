// Its own module, free of dependencies, because the program (resource.ts) derives `key` from it.

/** Key layout: model/resource.go defaultPath for the non-namespaced kind BGPPeer, plural "bgppeers". */
export const PEER_PREFIX = "/calico/resources/v3/projectcalico.org/bgppeers/";
export const FILTER_PREFIX = "/calico/resources/v3/projectcalico.org/bgpfilters/";
export const peerKey = (name: string) => PEER_PREFIX + name;
export const filterKey = (name: string) => FILTER_PREFIX + name;
/** ClusterInformation "default", where calico-node records the running release (spec.calicoVersion). */
export const CLUSTER_INFORMATION_KEY = "/calico/resources/v3/projectcalico.org/clusterinformations/default";

/** The input the resource classes add: the stack that declares the peer, which fixes the uid a create gives it (uid.ts). */
export const OWNER_KEY = "__owner";

/**
 * The annotation a write by a stack leaves on the peer: "<project>/<stack>". Another stack may not
 * adopt, update or delete a peer that carries someone else's, unless it takes it over explicitly
 * (`adopt: "force"`).
 */
export const OWNER_ANNOTATION = "pulumi-calico-bgppeer/stack";
