/**
 * The parts of @pulumi/pulumi a program's resources use, each from the SDK module that holds it.
 *
 * Pulumi's program runner has loaded these modules before the program starts. The package index
 * ("@pulumi/pulumi") and its runtime index also load automation, the closure serializer and
 * their dependencies: about 550 modules and 0.35 s more in every preview and up, for nothing a
 * program of peers calls. So the program layer takes its SDK from here, never from the index
 * (test/unit/sdk-load.test.ts holds it to that). Every path here exists, with these exports, in
 * every SDK we support (3.216.0 to 3.276.0; test/e2e/lines.test.ts runs each line).
 */

export { RunError } from "@pulumi/pulumi/errors";
export { getProject, getStack } from "@pulumi/pulumi/metadata";
export { all, output, secret } from "@pulumi/pulumi/output";
export { CustomResource } from "@pulumi/pulumi/resource";
export { isDryRun } from "@pulumi/pulumi/runtime/settings";
export { version } from "@pulumi/pulumi/version";

import * as log from "@pulumi/pulumi/log";
import * as config from "@pulumi/pulumi/runtime/config";

export { log };

/** A stack config value ("calico:etcdEndpoints"), as the program's stack holds it. */
export function getConfig(key: string): string | undefined {
  return config.getConfig(key);
}

/** Whether the stack holds `key` as a secret; undefined in SDKs that cannot tell. */
export function isConfigSecret(key: string): boolean | undefined {
  return (config as { isConfigSecret?(k: string): boolean }).isConfigSecret?.(key);
}

/**
 * Pulumi's closure serializer, loaded on first use: only a program that runs this package from
 * outside node_modules needs it (program/provider-text.ts).
 */
export function serializeFunction(fn: () => unknown, opts: { allowSecrets: boolean }): Promise<{ text: string; containsSecrets: boolean }> {
  const runtime = require("@pulumi/pulumi/runtime") as typeof import("@pulumi/pulumi/runtime");
  return runtime.serializeFunction(fn, opts);
}
