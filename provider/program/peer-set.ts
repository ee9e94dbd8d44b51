import type * as pulumi from "@pulumi/pulumi";
import type { SetPeer, StoredMeta } from "../core/set";
import { OWNER_KEY } from "../model/keys";
import { type BgpPeerArgs, hasType, owner, refusePlaintextSecrets } from "./bgp-peer";
import { warnUntestedRuntime } from "./compat";
import { checkConnectionOnce, withConnectionChecked } from "./connection-check";
import { pausePromiseStacks } from "./promise-stacks";
import { providerText } from "./provider-text";
import { all, CustomResource } from "./sdk";

type In<T> = pulumi.Input<T>;

/**
 * One peer of a set: BgpPeer's inputs (the Calico name, or seed terms that derive it), without adopt, which is the set's.
 *
 * @example
 * ```ts
 * const entry: BgpPeerSetEntry = { name: "edge-a", peerIP: "192.0.2.1", asNumber: 64600, nodeSelector: "edge == 'true'" };
 * ```
 */
export type BgpPeerSetEntry = Omit<BgpPeerArgs, "adopt">;

/**
 * The inputs of a {@link BgpPeerSet}.
 *
 * @example The peers as a map by Calico name, taking over the ones calicoctl made
 * ```ts
 * const args: BgpPeerSetArgs = {
 *   peers: { "edge-a": { peerIP: "192.0.2.1", asNumber: 64600 }, "edge-b": { peerIP: "192.0.2.2", asNumber: 64600 } },
 *   adopt: true,
 * };
 * ```
 */
export interface BgpPeerSetArgs {
  /**
   * The peers, as a list or as a map by Calico name. Each is validated as a BgpPeer is, and written
   * byte for byte as a BgpPeer with the same inputs writes it.
   */
  peers: In<In<BgpPeerSetEntry>[]> | In<Record<string, In<BgpPeerSetEntry>>>;
  /**
   * Take over peers of the set that already exist (created by calicoctl, or by BgpPeer resources
   * being moved into the set) instead of failing: equal ones are taken as they are, without a write.
   * Peers another Pulumi stack manages are taken only with "force".
   */
  adopt?: In<boolean | "force">;
}

/** The type token pulumi.dynamic.Resource would give. */
const TYPE = "pulumi-nodejs:dynamic/calico:BgpPeerSet";

/**
 * Many Calico BGPPeers as one Pulumi resource. For a large fabric: the engine saves its whole
 * checkpoint after every resource, so a per-rack set instead of a resource per peer is what makes
 * a fabric of thousands of peers take seconds. On etcd, reads are one request per 128 peers; writes go in
 * transactions of up to 128 peers, each peer guarded as a BgpPeer is. `pulumi preview --diff`
 * shows each peer's fields: `peers["rack1-host3.10-0-0-1"].asNumber`.
 *
 * @example Node peers with one spec, as calico-bgppeer import declares a group
 * ```ts
 * import { BgpPeerSet } from "pulumi-calico-bgppeer";
 *
 * new BgpPeerSet("edge", {
 *   peers: ["edge-1", "edge-2", "edge-3"].map((node) => ({ name: `${node}-transit`, node, peerIP: "198.51.100.1", asNumber: 64520 })),
 *   adopt: true,
 * });
 * ```
 */
export class BgpPeerSet extends CustomResource {
  /** The peers by Calico name, normalized as stored (only the labels and annotations the set manages). */
  declare readonly peers: pulumi.Output<Record<string, SetPeer>>;
  /** Per peer: metadata.uid, metadata.creationTimestamp and etcd's mod revision (resourceVersion). */
  declare readonly stored: pulumi.Output<Record<string, StoredMeta>>;
  /** The set's adopt input, as given. */
  declare readonly adopt?: pulumi.Output<boolean | "force">;

  constructor(name: string, args: BgpPeerSetArgs, opts?: pulumi.CustomResourceOptions) {
    if (opts?.import !== undefined) {
      throw new Error(
        `BgpPeerSet "${name}": the \`import\` resource option cannot work for a Pulumi dynamic resource (pulumi/pulumi#16175). Declare the existing peers in the set and set \`adopt: true\`: the next \`pulumi up\` takes them over, and writes only the peers whose spec differs.`,
      );
    }
    refusePlaintextSecrets();
    warnUntestedRuntime();
    checkConnectionOnce();
    const restore = pausePromiseStacks();
    try {
      super(TYPE, name, { stored: undefined, ...args, name, __provider: providerText("set-shim"), [OWNER_KEY]: owner() }, withConnectionChecked(opts));
    } finally {
      restore();
    }
  }

  static override isInstance(obj: unknown): obj is BgpPeerSet {
    return hasType(obj, TYPE);
  }
}

/**
 * A top-of-rack switch the rack's hosts peer with.
 *
 * @example
 * ```ts
 * const tors: TorArgs[] = [{ ip: "10.1.0.1", asNumber: 65101 }, { ip: "2001:db8:1::1", asNumber: "1.10" }];
 * ```
 */
export interface TorArgs {
  /** Its address, each host's peerIP ("<IPv4>" or "<IPv6>"): the peers' names end in it, as calico-upgrade names them. */
  ip: In<string>;
  /** Its AS: a number, a decimal string or dotted "hi.lo". */
  asNumber: In<number | string>;
}

/**
 * Fields every peer of a rack shares: BgpPeer's spec fields and labels, not its identity.
 *
 * @example
 * ```ts
 * const peer: RackPeerDefaults = { labels: { rack: "rack1" }, keepOriginalNextHop: true, password: { secretKeyRef: { name: "tor", key: "r1" } } };
 * ```
 */
export type RackPeerDefaults = Omit<BgpPeerSetEntry, "name" | "scope" | "node" | "hostname" | "peerIP" | "asNumber" | "nodeSelector" | "peerSelector">;

/**
 * The inputs of {@link RackPeers}: one rack's hosts, its ToRs, and what their peers share.
 *
 * @example
 * ```ts
 * const args: RackPeersArgs = {
 *   hosts: Array.from({ length: 40 }, (_, i) => `rack1-host${i + 1}`),
 *   tors: [{ ip: "10.1.0.1", asNumber: 65101 }, { ip: "10.1.0.2", asNumber: 65101 }],
 *   peer: { labels: { rack: "rack1" } },
 * };
 * ```
 */
export interface RackPeersArgs {
  /** The rack's hosts: Calico node names. */
  hosts: In<In<string>[]>;
  /** The rack's ToR switches: every host peers with each of them. */
  tors: In<In<TorArgs>[]>;
  /** What every peer of the rack shares, such as labels, password or keepOriginalNextHop. */
  peer?: In<RackPeerDefaults>;
  /** As {@link BgpPeerSetArgs.adopt}: take the rack's existing peers over, equal ones without a write. */
  adopt?: In<boolean | "force">;
}

/**
 * One rack's node-scoped peers: every host with every ToR, a BgpPeerSet. Each peer has the name
 * calico-upgrade gives a node peer (`<host>.<peerIP with dashes>`), as a BgpPeer in seed terms
 * (`scope: "node"`) does, so peers move between the two without a write.
 *
 * @example
 * ```ts
 * import { RackPeers } from "pulumi-calico-bgppeer";
 *
 * new RackPeers("rack1", {
 *   hosts: ["rack1-host1", "rack1-host2", "rack1-host3"],
 *   tors: [{ ip: "10.0.1.1", asNumber: 65001 }, { ip: "10.0.1.2", asNumber: 65001 }],
 *   peer: { labels: { rack: "rack1" }, keepOriginalNextHop: true },
 * });
 * ```
 */
export class RackPeers extends BgpPeerSet {
  constructor(name: string, args: RackPeersArgs, opts?: pulumi.CustomResourceOptions) {
    const peers = all([args.hosts, args.tors, args.peer ?? {}]).apply(([hosts, tors, peer]) =>
      hosts.flatMap((host) =>
        tors.map((tor) => ({ ...(peer as Record<string, unknown>), scope: "node" as const, node: host, peerIP: tor.ip, asNumber: tor.asNumber })),
      ),
    );
    super(name, { peers: peers as In<In<BgpPeerSetEntry>[]>, adopt: args.adopt }, opts);
  }
}
