import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { OLDEST_SDK } from "../../provider/program/compat";
import { LINES } from "../harness/lines";

/** Claims of the README and package.json that follow from code, checked so that they cannot drift. */
const ROOT = path.resolve(__dirname, "../../..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const tools = require("../../../scripts/tools.js") as { PULUMI_BUILDS: Record<string, string>; NODE_VERSIONS: Record<string, string> };

/** The rows of the README table under `heading`, as arrays of trimmed cells. */
function table(heading: string): string[][] {
  const at = README.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README has a section "${heading}"`);
  const rows: string[][] = [];
  for (const line of README.slice(at + heading.length + 2).split("\n")) {
    if (line.startsWith("#")) break;
    if (!line.startsWith("|") || /^\|\s*-/.test(line)) continue;
    rows.push(
      line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows.slice(1);
}

describe("the README's compatibility table is the tested matrix (scripts/matrix.js)", () => {
  it("has one row per line, with its Node.js, SDK and CLI", () => {
    const rows = table("### Compatibility").filter((r) => /^\d+$/.test(r[0]));
    assert.deepEqual(
      rows.map((r) => r.slice(0, 3)),
      LINES.map((l) => [String(l.node), l.sdk, l.cli]),
    );
  });

  it("every line's tools are ones scripts/tools.js can make", () => {
    for (const l of LINES) {
      assert.ok(tools.PULUMI_BUILDS[l.cli], `a Pulumi CLI build for ${l.cli}`);
      assert.ok(tools.NODE_VERSIONS[l.node], `a Node.js ${l.node} package`);
    }
  });

  it("the peer range starts at the oldest SDK drift detection works with, and takes every line's SDK", () => {
    const range = PKG.peerDependencies["@pulumi/pulumi"];
    assert.equal(range, `>=${OLDEST_SDK} <4`);
    assert.ok(
      LINES.some((l) => l.sdk === OLDEST_SDK),
      "the oldest SDK of the range is tested",
    );
    assert.match(README, new RegExp(`\`${range.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\``), "the README states the range");
    assert.equal(PKG.engines.node, ">=20");
  });
});
