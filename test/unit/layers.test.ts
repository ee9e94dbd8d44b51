import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

/**
 * The layers of provider/ (docs/architecture.md) as rules on its imports, read from the sources:
 * no cycles, each layer imports only those below it, and nothing above the datastore layer reaches
 * past its interface into one datastore's folder.
 */

const ROOT = path.resolve(__dirname, "../../../provider");

/** Each layer and the layers it may import (itself included). */
const MAY_IMPORT: Record<string, string[]> = {
  model: ["model"],
  datastore: ["model", "datastore"],
  core: ["model", "datastore", "core"],
  dynamic: ["model", "datastore", "core", "dynamic"],
  program: ["model", "datastore", "core", "dynamic", "program"],
  cli: ["model", "datastore", "core", "cli"],
  native: ["model", "datastore", "core", "native"],
  ".": ["model", "datastore", "core", "dynamic", "program", "."],
};

/** The datastore's interface: what the layers above it may use. Its etcd/, kube/ and memory/ folders are its own. */
const DATASTORE_INTERFACE = ["datastore/api.ts", "datastore/errors.ts", "datastore/config.ts", "datastore/select.ts"];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The modules of provider/ a source imports: static imports, re-exports, lazy require() and import(). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|require\(|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
    const base = path.resolve(path.dirname(file), m[1]);
    const found = [`${base}.ts`, path.join(base, "index.ts")].find((p) => fs.existsSync(p));
    if (found) out.push(found);
  }
  return out;
}

const rel = (p: string) => path.relative(ROOT, p).split(path.sep).join("/");
const layerOf = (p: string) => (rel(p).includes("/") ? rel(p).split("/")[0] : ".");

const files = sources(ROOT);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe("the layers of provider/", () => {
  it("has the folders the layers name, and no source outside them but index.ts", () => {
    for (const f of files) assert.ok(layerOf(f) in MAY_IMPORT, `${rel(f)} is in no layer`);
    assert.deepEqual(files.filter((f) => layerOf(f) === ".").map(rel), ["index.ts"]);
  });

  it("has no import cycles", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]) => {
      state.set(f, "open");
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === "open") cycles.push([...trail.slice(trail.indexOf(g)), g].map(rel).join(" -> "));
        else if (!state.has(g)) visit(g, [...trail, g]);
      }
      state.set(f, "done");
    };
    for (const f of files) if (!state.has(f)) visit(f, [f]);
    assert.deepEqual(cycles, []);
  });

  it("imports only downwards, and only the datastore's interface from above it", () => {
    const wrong: string[] = [];
    for (const [f, deps] of graph) {
      const from = layerOf(f);
      for (const d of deps) {
        const to = layerOf(d);
        if (!MAY_IMPORT[from].includes(to)) wrong.push(`${rel(f)} imports ${rel(d)} (${from} may import ${MAY_IMPORT[from].join(", ")})`);
        if (to === "datastore" && from !== "datastore" && !DATASTORE_INTERFACE.includes(rel(d))) {
          wrong.push(`${rel(f)} reaches past the datastore interface into ${rel(d)}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("finds the imports it checks (a rule that reads nothing would pass anything)", () => {
    const peer = graph.get(path.join(ROOT, "core/peer.ts"))!.map(rel);
    assert.ok(peer.includes("core/decide.ts") && peer.includes("datastore/api.ts"), peer.join(", "));
    assert.ok(graph.get(path.join(ROOT, "program/connection-probe.ts"))!.map(rel).includes("datastore/select.ts"));
  });
});
