import type * as dynamic from "@pulumi/pulumi/dynamic";

/**
 * What shim.ts and set-shim.ts serialize: a provider whose every method loads the implementation
 * (`pulumi-calico-bgppeer/<subpath>`) installed now, once per provider process, and calls it. The
 * package is resolved by name from the project directory (the provider process's working
 * directory), through node_modules or, inside this repository, as a self-reference via
 * package.json "exports"; see shim.ts.
 */
type Method = "configure" | "check" | "diff" | "create" | "read" | "update" | "delete";
/** What impl.ts and set-impl.ts export as `impl`: every method of a dynamic provider. */
export type Loaded = { [K in Method]-?: NonNullable<dynamic.ResourceProvider[K]> };

/** The provider object: each method forwards to the loaded implementation. */
export function shimOf<T extends Loaded>(subpath: string): dynamic.ResourceProvider {
  const load = loader<T>(subpath);
  return {
    configure: (req) => load().configure(req),
    check: (olds, news) => load().check(olds, news),
    diff: (id, olds, news) => load().diff(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read(id, props),
    update: (id, olds, news) => load().update(id, olds, news),
    delete: (id, props) => load().delete(id, props),
  };
}

function loader<T extends Loaded>(subpath: string): () => T {
  return () => {
    // Resolved once per provider process (resolving costs about 90 us, on every call otherwise). The
    // cache lives on globalThis because this function may run as serialized text, without its module.
    const g = globalThis as { __calicoBgpPeerImpls?: Record<string, T> };
    g.__calicoBgpPeerImpls ??= {};
    const cache = g.__calicoBgpPeerImpls;
    if (cache[subpath]) return cache[subpath];
    const mod = require("node:module");
    const path = require("node:path");
    const id = `pulumi-calico-bgppeer/${subpath}`;
    let impl: T;
    try {
      impl = mod.createRequire(path.join(process.cwd(), "package.json"))(id).impl;
    } catch (e) {
      if ((e as { code?: string }).code !== "MODULE_NOT_FOUND") throw e;
      // Not installed below the working directory: a script that drives the exported provider from
      // elsewhere. A plain require resolves from this module's own place (the package itself, by its
      // name through "exports"), or, as serialized text, from the provider host inside node_modules.
      impl = require(id).impl;
    }
    cache[subpath] = impl;
    return impl;
  };
}
