import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

/**
 * Every example under examples/ compiles, with the package's name mapped to its sources
 * (tsconfig.examples.json); the fabric example also runs under the real CLI (the demo's test).
 */
const ROOT = path.resolve(__dirname, "../../..");

describe("the examples", () => {
  it("type-check under strict TypeScript, and tsconfig.examples.json lists every one", () => {
    const config = fs.readFileSync(path.join(ROOT, "tsconfig.examples.json"), "utf8");
    for (const d of fs.readdirSync(path.join(ROOT, "examples")))
      if (fs.existsSync(path.join(ROOT, "examples", d, "index.ts"))) assert.ok(config.includes(`examples/${d}/index.ts`), `examples/${d} is type-checked`);
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.examples.json"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });
});
