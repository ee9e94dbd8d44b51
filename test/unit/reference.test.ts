import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";

/**
 * The API reference (`npm run docs:api`, TypeDoc over the package's exports, typedoc.json): it
 * builds with no warning, which with its validation means every export and every member of one is
 * documented, every {@link} resolves, and nothing exported refers to a type the reference leaves out.
 */
const ROOT = path.resolve(__dirname, "../../..");

describe("the API reference", () => {
  it("builds from the TSDoc with no warning: every export documented, every link resolved", () => {
    // FORCE_COLOR=0: plain text, so that the warnings can be matched.
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typedoc/bin/typedoc"), "--emit", "none"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
    });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, out);
    assert.doesNotMatch(out, /\[(warning|error)\]/, out);
  });
});
