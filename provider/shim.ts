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
  const mod = require("module");
  const path = require("path");
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
  return (g.__calicoBgpPeerImpl = impl);
}

export function configure(req: dynamic.ConfigureRequest) {
  return load().configure(req);
}
export function check(olds: any, news: any) {
  return load().check(olds, news);
}
export function diff(id: string, olds: any, news: any) {
  return load().diff(id, olds, news);
}
export function create(inputs: any) {
  return load().create(inputs);
}
export function read(id: string, props?: any) {
  return load().read(id, props);
}
export function update(id: string, olds: any, news: any) {
  return load().update(id, olds, news);
}
// `delete` is a reserved word, so the export is renamed.
function remove(id: string, props: any) {
  return load().delete(id, props);
}
export { remove as delete };
