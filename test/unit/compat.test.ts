import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FIRST_SDK_NEEDING_NODE_22, OLDEST_SDK, runtimeWarning } from "../../provider/program/compat";

describe("runtimeWarning: the lines the tests run pass, others are named", () => {
  it("is silent on the tested lines and on newer ones", () => {
    for (const [node, sdk] of [
      ["v20.20.2", "3.216.0"],
      ["v20.20.2", "3.248.0"],
      ["v22.23.5", "3.276.0"],
      ["v24.22.3", "3.276.0"],
      ["v26.0.0", "3.300.1"],
      ["v22.23.5", "3.248.0"],
    ]) {
      assert.equal(runtimeWarning(node, sdk), undefined, `${node} with ${sdk}`);
    }
  });

  it("names Node 20 with an SDK that needs Node 22, from the first such release", () => {
    assert.equal(FIRST_SDK_NEEDING_NODE_22, "3.249.0");
    const w = runtimeWarning("v20.20.2", "3.249.0");
    assert.equal(
      w,
      "@pulumi/pulumi 3.249.0 requires Node.js 22 or newer (its engines field, since 3.249.0), and this program runs on Node.js 20.20.2. pulumi-calico-bgppeer does not test this combination. Use Node.js 22 or 24, or @pulumi/pulumi below 3.249.0.",
    );
    assert.match(runtimeWarning("v18.19.0", "3.276.0")!, /requires Node\.js 22/);
  });

  it("names an SDK below the oldest that drift detection works with", () => {
    assert.equal(OLDEST_SDK, "3.216.0");
    assert.match(
      runtimeWarning("v22.23.5", "3.215.9")!,
      /^@pulumi\/pulumi 3\.215\.9 is older than 3\.216\.0, the first whose dynamic providers return inputs from read/,
    );
    assert.match(runtimeWarning("v20.20.2", "3.100.0-alpha.1")!, /older than 3\.216\.0/);
  });
});
