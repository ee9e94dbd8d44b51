import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { SetImpl } from "./set-impl";

/**
 * The provider serialized into every BgpPeerSet's state: shim.ts's design (see there), loading
 * set-impl instead of impl. A module of its own because Pulumi serializes a module by its path:
 * installed, this is `require("pulumi-calico-bgppeer/set-shim")`.
 */
function load(): SetImpl {
  const g = globalThis as { __calicoBgpPeerSetImpl?: SetImpl };
  if (g.__calicoBgpPeerSetImpl) return g.__calicoBgpPeerSetImpl;
  const mod = require("node:module");
  const path = require("node:path");
  let impl: SetImpl;
  try {
    impl = mod.createRequire(path.join(process.cwd(), "package.json"))("pulumi-calico-bgppeer/set-impl").impl;
  } catch (e) {
    if ((e as { code?: string }).code !== "MODULE_NOT_FOUND") throw e;
    impl = require("pulumi-calico-bgppeer/set-impl").impl;
  }
  g.__calicoBgpPeerSetImpl = impl;
  return impl;
}

export function configure(req: dynamic.ConfigureRequest) {
  return load().configure(req);
}
export function check(...args: Parameters<SetImpl["check"]>) {
  return load().check(...args);
}
export function diff(...args: Parameters<SetImpl["diff"]>) {
  return load().diff(...args);
}
export function create(...args: Parameters<SetImpl["create"]>) {
  return load().create(...args);
}
export function read(...args: Parameters<SetImpl["read"]>) {
  return load().read(...args);
}
export function update(...args: Parameters<SetImpl["update"]>) {
  return load().update(...args);
}
function remove(...args: Parameters<SetImpl["delete"]>) {
  return load().delete(...args);
}

export { remove as delete };
