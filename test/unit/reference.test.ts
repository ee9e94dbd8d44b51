import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

/**
 * The API reference (`npm run docs:api`, TypeDoc over the package's exports, typedoc.json): it
 * builds with no warning, which with its validation means every export and every member of one is
 * documented, every {@link} resolves, and nothing exported refers to a type the reference leaves
 * out; and every export shows an example.
 */
const ROOT = path.resolve(__dirname, "../../..");

interface Reflection {
  name: string;
  comment?: { blockTags?: { tag: string }[] };
  signatures?: Reflection[];
  children?: Reflection[];
}

describe("the API reference", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-typedoc-"));
  // FORCE_COLOR=0: plain text, so that the warnings can be matched.
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules/typedoc/bin/typedoc"), "--out", path.join(dir, "html"), "--json", path.join(dir, "api.json")],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
    },
  );
  const out = `${r.stdout}${r.stderr}`;
  const api = fs.existsSync(path.join(dir, "api.json")) ? (JSON.parse(fs.readFileSync(path.join(dir, "api.json"), "utf8")) as Reflection) : undefined;
  fs.rmSync(dir, { recursive: true, force: true });

  it("builds from the TSDoc with no warning: every export documented, every link resolved", () => {
    assert.equal(r.status, 0, out);
    assert.doesNotMatch(out, /\[(warning|error)\]/, out);
  });

  it("has an @example for every export", () => {
    assert.ok(api?.children?.length, out);
    const tags = (x: Reflection) => [x, ...(x.signatures ?? [])].flatMap((y) => (y.comment?.blockTags ?? []).map((t) => t.tag));
    const without = api.children.filter((c) => !tags(c).includes("@example")).map((c) => c.name);
    assert.deepEqual(without, []);
    assert.ok(api.children.some((c) => c.name === "RackPeers") && api.children.length > 20, "the reference holds the exports");
  });
});
