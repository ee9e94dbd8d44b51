import type { Impl } from "./peer-provider";
import { shimOf } from "./shim-loader";

/**
 * The provider Pulumi serializes into every BgpPeer's state as `__provider`: this module's exports,
 * methods that load the installed implementation (peer-provider.ts) when called (shim-loader.ts). The same
 * text serves every package version: an upgrade shows no change, and delete and refresh run the
 * installed implementation, not a copy frozen at create time.
 *
 * When the package is installed at node_modules/pulumi-calico-bgppeer, Pulumi's closure serializer
 * writes this module as `require("pulumi-calico-bgppeer/shim")` (a few hundred bytes) instead of
 * its source; see serializedProvider() in program/provider-text.ts.
 */
export = shimOf<Impl>("impl");
