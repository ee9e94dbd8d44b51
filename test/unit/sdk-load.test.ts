import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";

/**
 * What loading the package costs a program: it takes its SDK from the modules Pulumi's program
 * runner has already loaded (program/sdk.ts), never @pulumi/pulumi's index or runtime index, which
 * load automation and the closure serializer (about 550 modules and 0.35 s in every preview and up).
 */

const ROOT = path.resolve(__dirname, "../../..");

/**
 * The modules a fresh Node.js process holds when it exits after requiring `module`, relative to
 * node_modules, and that it exits with `status` (a module that runs, as the check's child, may fail
 * after loading).
 */
function loadedBy(module: string, status = 0): string[] {
  const r = spawnSync(
    process.execPath,
    ["-e", `process.on("exit", () => process.stdout.write(JSON.stringify(Object.keys(require.cache)))); require(${JSON.stringify(module)})`],
    { cwd: ROOT, encoding: "utf8", input: "" },
  );
  assert.equal(r.status, status, r.stderr);
  return (JSON.parse(r.stdout) as string[]).map((f) => f.replace(/^.*node_modules\//, ""));
}

describe("the package's load in a program", () => {
  const loaded = loadedBy(path.join(ROOT, "dist/provider/index.js"));

  it("loads no SDK index, automation or closure serializer", () => {
    const sdk = loaded.filter((f) => f.startsWith("@pulumi/pulumi/"));
    assert.ok(sdk.includes("@pulumi/pulumi/resource.js"), "the SDK modules are seen");
    const heavy = sdk.filter((f) => f === "@pulumi/pulumi/index.js" || f === "@pulumi/pulumi/runtime/index.js" || /\/(automation|closure)\//.test(f));
    assert.deepEqual(heavy, []);
  });

  it("loads neither etcd3 nor zod: the program never reaches the datastore itself", () => {
    assert.deepEqual(
      loaded.filter((f) => /^(etcd3|zod)\//.test(f)),
      [],
    );
  });

  it("the connection check's child loads the datastore layer only: no SDK, no zod", () => {
    // Its modules load before it reads its settings from stdin; given none, it fails there.
    const loaded = loadedBy(path.join(ROOT, "dist/provider/program/connection-probe.js"), 1);
    assert.ok(
      loaded.some((f) => f.startsWith("etcd3/")),
      "it loads the etcd client (the check below can fail)",
    );
    assert.deepEqual(
      loaded.filter((f) => /^(zod|@pulumi\/pulumi)\//.test(f)),
      [],
    );
  });

  it("the SDK's index is what would load them (the check above can fail)", () => {
    const all = loadedBy("@pulumi/pulumi");
    assert.ok(all.includes("@pulumi/pulumi/index.js"));
    assert.ok(all.some((f) => f.includes("/automation/")));
  });
});
