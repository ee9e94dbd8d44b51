import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { output, secret, serializeFunction } from "./sdk";

import shim = require("../dynamic/shim");
import setShim = require("../dynamic/set-shim");

/** The package's shim modules, by the subpath the package exports them at (package.json "exports"). */
const SHIMS = { shim, "set-shim": setShim };
export type ShimPath = keyof typeof SHIMS;

/**
 * What Pulumi's closure serializer writes for `() => provider` when `provider` is the shim module
 * of an installed package: the same text in every SDK we support (3.216.0 to 3.276.0; checked
 * against the serializer on each line by test/e2e/lines.test.ts, and against states written
 * through the serializer by test/e2e/upgrade.test.ts). Every BgpPeer and BgpPeerSet stores it as
 * `__provider`, so a byte that differs would show every existing peer as changed.
 */
export function requireText(shimPath: ShimPath): string {
  return [
    "exports.handler = __f0;",
    `const provider = require(${JSON.stringify(`pulumi-calico-bgppeer/${shimPath}`)});`,
    "",
    "function __f0() {",
    "  return (function() {",
    "    with({ this: undefined, arguments: undefined }) {",
    "",
    "return () => provider;",
    "",
    "    }",
    "  }).apply(undefined, undefined).apply(this, arguments);",
    "}",
    "",
  ].join("\n");
}

/**
 * Whether the package sits at node_modules/pulumi-calico-bgppeer below the program's directory,
 * where Pulumi's serializer writes a shim as `require("pulumi-calico-bgppeer/shim")`. Anywhere
 * else (this repository, `npm link`, pnpm's node_modules/.pnpm/<name>@<version>/ paths, which
 * would put the version into the require) it writes the shim out by value.
 */
function installed(): boolean {
  const parts = path.relative(process.cwd(), __filename).split(path.sep);
  const at = parts.indexOf("node_modules");
  return at >= 0 && parts.slice(at + 1).join("/") === "pulumi-calico-bgppeer/dist/provider/program/provider-text.js";
}

const chosen = new Map<ShimPath, dynamic.ResourceProvider>();

/**
 * A shim module's exports object when the package is installed; anywhere else a plain copy of it,
 * which the serializer writes out by value. Both forms work in every version.
 */
export function serializedProvider(shimPath: ShimPath): dynamic.ResourceProvider {
  let p = chosen.get(shimPath);
  if (p) return p;
  const shimModule = SHIMS[shimPath];
  p = (installed() ? shimModule : { ...shimModule }) as dynamic.ResourceProvider;
  chosen.set(shimPath, p);
  return p;
}

const texts = new Map<ShimPath, pulumi.Input<string>>();

/**
 * `__provider`, as pulumi.dynamic.Resource would serialize it, once per program and shim. Installed,
 * it is requireText(): running the serializer (it loads about 550 SDK modules and inspects the
 * closure) held back every preview's and up's first registration by 0.2 to 0.45 s. Elsewhere the
 * serializer runs; its closure must capture a variable named `provider`, whose name is part of the text.
 */
export function providerText(shimPath: ShimPath): pulumi.Input<string> {
  let text = texts.get(shimPath);
  if (text) return text;
  const provider = serializedProvider(shimPath);
  if (provider === SHIMS[shimPath]) {
    text = requireText(shimPath);
  } else {
    const fn = serializeFunction(() => provider, { allowSecrets: true });
    text = output(fn).apply((f): pulumi.Output<string> => (f.containsSecrets ? secret(f.text) : output(f.text)));
  }
  texts.set(shimPath, text);
  return text;
}
