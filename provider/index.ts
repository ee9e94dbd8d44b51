export { BgpPeer, BgpPeerArgs, SecretKeyRefArgs } from "./resource";
export { provider } from "./shim";
export type { PeerOutputs as BgpPeerOutputs } from "./impl";
export type { PeerInputs as BgpPeerInputs, PeerSpec } from "./model/spec";
