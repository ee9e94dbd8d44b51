import { atLeast, parseCalicoVersion } from "../model/versions";
import { log, version as sdkVersion } from "./sdk";

/**
 * Which Node.js and @pulumi/pulumi a program runs on, against the lines the tests run
 * (scripts/matrix.js and the table in docs/compatibility.md). A program outside them still runs:
 * the SDK has worked there in our tries, but nothing proves it, so the user is told once.
 */

/** The oldest SDK whose dynamic providers can return inputs from `read`, which drift detection needs (pulumi/pulumi#21315). */
export const OLDEST_SDK = "3.216.0";
/** The first SDK that declares `engines.node >=22` (pulumi/pulumi#23722, CHANGELOG 3.249.0). */
export const FIRST_SDK_NEEDING_NODE_22 = "3.249.0";

/** Whether version `a` ("v20.20.2", "3.248.0") comes before `b`; the release parser Calico versions use. */
function below(a: string, b: string): boolean {
  const v = parseCalicoVersion(a);
  return v !== undefined && !atLeast(v, b);
}

/** Why `node` with SDK `sdk` is outside what we test, or undefined when it is inside. */
export function runtimeWarning(node: string, sdk: string): string | undefined {
  if (below(sdk, OLDEST_SDK)) {
    return `@pulumi/pulumi ${sdk} is older than ${OLDEST_SDK}, the first whose dynamic providers return inputs from read: pulumi refresh cannot take in changes made outside Pulumi. Upgrade @pulumi/pulumi (npm install @pulumi/pulumi@latest).`;
  }
  if (below(node, "22.0.0") && !below(sdk, FIRST_SDK_NEEDING_NODE_22)) {
    return `@pulumi/pulumi ${sdk} requires Node.js 22 or newer (its engines field, since ${FIRST_SDK_NEEDING_NODE_22}), and this program runs on Node.js ${node.replace(/^v/, "")}. pulumi-calico-bgppeer does not test this combination. Use Node.js 22 or 24, or @pulumi/pulumi below ${FIRST_SDK_NEEDING_NODE_22}.`;
  }
  return undefined;
}

let warned = false;

/** Warns once per program when it runs outside the tested lines. */
export function warnUntestedRuntime(): void {
  if (warned) return;
  warned = true;
  const w = runtimeWarning(process.version, sdkVersion);
  if (w) void log.warn(`pulumi-calico-bgppeer: ${w}`);
}
