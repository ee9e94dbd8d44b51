import type * as dynamic from "@pulumi/pulumi/dynamic";
import { serializedProvider } from "./program/provider-text";

export { BgpPeer, BgpPeerArgs, SecretKeyRefArgs } from "./program/bgp-peer";
/**
 * The dynamic provider BgpPeer uses (the same object), for use with your own dynamic.Resource, or
 * for a script to drive. Outside a Pulumi program it connects with calicoctl's settings.
 *
 * @example Check and create a peer from a script (ETCD_ENDPOINTS set)
 * ```ts
 * import { provider } from "pulumi-calico-bgppeer";
 * const { inputs, failures } = await provider.check!({}, { name: "rr", peerIP: "10.0.0.10", asNumber: 64512 });
 * if (failures?.length) throw new Error(failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
 * const { id, outs } = await provider.create(inputs);
 * ```
 */
export const provider: dynamic.ResourceProvider = serializedProvider("shim");
export type { PeerOutputs as BgpPeerOutputs } from "./core/outputs";
export type { SetOutputs as BgpPeerSetOutputs, SetPeer as BgpPeerSetPeer } from "./core/set";
// The error classes, so that scripts driving `provider` can tell failures apart with instanceof
// and read what each carries (peer, set, datastore, operation, written, remedy, peers).
export {
  AlreadyExistsError,
  AuthenticationFailedError,
  ConfigError,
  ConflictError,
  CredentialsMissingError,
  DatastoreError,
  type ErrorFields,
  FilterMissingError,
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  UnreachableError,
  UnsupportedFieldError,
  type Written,
} from "./datastore/errors";
export { RuleError } from "./model/errors";
export type { SecretKeyRef } from "./model/fields";
export type { PeerInputs as BgpPeerInputs, PeerSpec } from "./model/spec";
export { NativeBgpPeer } from "./program/native-peer";
export { BgpPeerSet, BgpPeerSetArgs, BgpPeerSetEntry, RackPeerDefaults, RackPeers, RackPeersArgs, TorArgs } from "./program/peer-set";
