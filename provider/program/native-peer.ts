import type * as pulumi from "@pulumi/pulumi";
import type { BgpPeerArgs } from "./bgp-peer";
import { pausePromiseStacks } from "./promise-stacks";
import { CustomResource } from "./sdk";

/**
 * BgpPeer served by the native provider plugin `calico` (provider/native/) instead of a dynamic
 * provider: the same arguments and the same peers, plus what only a native provider gives (a
 * detailed diff per field in `preview --json`, `pulumi import`, the provider's own configuration).
 * The plugin must be findable: name it in Pulumi.yaml (`plugins.providers: [{ name: calico, path:
 * ./node_modules/pulumi-calico-bgppeer/plugin }]`) or install it with `pulumi plugin install`.
 *
 * A hand-written class rather than the SDK generated from the schema: it takes BgpPeerArgs, whose
 * types and docs derive from the field table like the schema's, with no second package to publish.
 *
 * @example
 * ```ts
 * new NativeBgpPeer("rr-v4", { peerIP: "10.0.0.10", asNumber: 64512 });
 * ```
 */
export class NativeBgpPeer extends CustomResource {
  /** The Calico name (metadata.name), also the resource's id. */
  declare readonly name: pulumi.Output<string>;
  /** metadata.uid: set at create (kept when adopted), as calicoctl sets it. */
  declare readonly uid: pulumi.Output<string>;
  /** metadata.creationTimestamp (RFC 3339, UTC). */
  declare readonly creationTimestamp: pulumi.Output<string>;
  /** The datastore's revision of the peer, as Calico reports resourceVersion. */
  declare readonly resourceVersion: pulumi.Output<string>;

  /**
   * @example
   * ```ts
   * // Moving a stack's BgpPeer here keeps the peer: the alias finds its state, and nothing is written.
   * new NativeBgpPeer("rack1-tor", { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 64512 }, {
   *   aliases: [{ type: "pulumi-nodejs:dynamic/calico:BgpPeer" }],
   * });
   * ```
   */
  constructor(name: string, args: BgpPeerArgs, opts?: pulumi.CustomResourceOptions) {
    const restore = pausePromiseStacks();
    try {
      super("calico:index:BgpPeer", name, { ...args, uid: undefined, creationTimestamp: undefined, resourceVersion: undefined }, opts);
    } finally {
      restore();
    }
  }
}
