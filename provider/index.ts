import type * as dynamic from "@pulumi/pulumi/dynamic";
import { serializedProvider } from "./resource";

export { BgpPeer, BgpPeerArgs, SecretKeyRefArgs } from "./resource";
/** The dynamic provider BgpPeer uses (the same object), for use with your own dynamic.Resource. */
export const provider: dynamic.ResourceProvider = serializedProvider();
// The error classes, so that scripts driving `provider` can tell failures apart with instanceof.
export { ConfigError } from "./datastore/config";
export {
  AlreadyExistsError,
  AuthenticationFailedError,
  ConflictError,
  CredentialsMissingError,
  DatastoreError,
  FilterMissingError,
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  UnreachableError,
  UnsupportedFieldError,
} from "./datastore/errors";
export type { PeerOutputs as BgpPeerOutputs } from "./impl";
export { RuleError } from "./model/errors";
export type { PeerInputs as BgpPeerInputs, PeerSpec } from "./model/spec";
export type { SetOutputs as BgpPeerSetOutputs, SetPeer as BgpPeerSetPeer } from "./set";
export { BgpPeerSet, BgpPeerSetArgs, BgpPeerSetEntry, RackPeerDefaults, RackPeers, RackPeersArgs, TorArgs } from "./set-resource";
