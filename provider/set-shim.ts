import type { SetImpl } from "./set-impl";
import { shimOf } from "./shim-loader";

/**
 * The provider serialized into every BgpPeerSet's state: as shim.ts, loading set-impl.ts. A module
 * of its own because Pulumi serializes an installed module by its path:
 * `require("pulumi-calico-bgppeer/set-shim")`.
 */
export = shimOf<SetImpl>("set-impl");
