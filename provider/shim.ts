import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { Impl } from "./impl";

/**
 * The provider object Pulumi serializes into every BgpPeer's state as `__provider`. It captures
 * nothing but `load`, so the text is a few hundred bytes and the same in every package version:
 * an upgrade shows no change, and delete and refresh run the installed implementation, not a copy
 * frozen at create time. The package is resolved by name from the project directory (the
 * provider process's working directory), through node_modules or, inside this repository, as a
 * self-reference via package.json "exports".
 */
function load(): Impl {
  const mod = require("module");
  const path = require("path");
  return mod.createRequire(path.join(process.cwd(), "package.json"))("pulumi-calico-bgppeer/impl").impl;
}

export const provider: dynamic.ResourceProvider = {
  configure: (req) => load().configure(req),
  check: (olds, news) => load().check(olds, news),
  diff: (id, olds, news) => load().diff(id, olds, news),
  create: (inputs) => load().create(inputs),
  read: (id, props) => load().read(id, props),
  update: (id, olds, news) => load().update(id, olds, news),
  delete: (id, props) => load().delete(id, props),
};
