import type { SetImpl } from "./set-provider";
import { shimOf } from "./shim-loader";

/**
 * The provider serialized into every BgpPeerSet's state: as shim.ts, loading set-provider.ts. A module
 * of its own because Pulumi serializes an installed module by its path:
 * `require("pulumi-calico-bgppeer/set-shim")`.
 */
export = shimOf<SetImpl>("set-impl");
