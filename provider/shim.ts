import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { Impl } from "./impl";

/**
 * The provider Pulumi serializes into every BgpPeer's state as `__provider`: this module's exports.
 * It captures nothing but `load`, and the same text serves every package version: an upgrade shows
 * no change, and delete and refresh run the installed implementation, not a copy frozen at create
 * time. The package is resolved by name from the project directory (the provider process's working
 * directory), through node_modules or, inside this repository, as a self-reference via
 * package.json "exports".
 *
 * When the package is installed at node_modules/pulumi-calico-bgppeer, Pulumi's closure serializer
 * writes this module as `require("pulumi-calico-bgppeer/shim")` (a few hundred bytes) instead of
 * its source; see serializedProvider() in resource.ts.
 */
function load(): Impl {
  // Resolved once per provider process (resolving costs about 90 us, on every call otherwise). The
  // cache lives on globalThis because this function may run as serialized text, without its module.
  const g = globalThis as { __calicoBgpPeerImpl?: Impl };
  if (g.__calicoBgpPeerImpl) return g.__calicoBgpPeerImpl;
  const mod = require("node:module");
  const path = require("node:path");
  let impl: Impl;
  try {
    impl = mod.createRequire(path.join(process.cwd(), "package.json"))("pulumi-calico-bgppeer/impl").impl;
  } catch (e) {
    if ((e as { code?: string }).code !== "MODULE_NOT_FOUND") throw e;
    // Not installed below the working directory: a script that drives the exported `provider` from
    // elsewhere. A plain require resolves from this module's own place (the package itself, by its
    // name through "exports"), or, as serialized text, from the provider host inside node_modules.
    impl = require("pulumi-calico-bgppeer/impl").impl;
  }
  g.__calicoBgpPeerImpl = impl;
  return impl;
}

export function configure(req: dynamic.ConfigureRequest) {
  return load().configure(req);
}
export function check(...args: Parameters<Impl["check"]>) {
  return load().check(...args);
}
export function diff(...args: Parameters<Impl["diff"]>) {
  return load().diff(...args);
}
export function create(...args: Parameters<Impl["create"]>) {
  return load().create(...args);
}
export function read(...args: Parameters<Impl["read"]>) {
  return load().read(...args);
}
export function update(...args: Parameters<Impl["update"]>) {
  return load().update(...args);
}
// `delete` is a reserved word, so the export is renamed.
function remove(...args: Parameters<Impl["delete"]>) {
  return load().delete(...args);
}

export { remove as delete };
