#!/usr/bin/env node
// `npm test`: makes sure the real parts are present (etcd, the Pulumi CLI, calicoctl), building or
// installing what is missing, then runs every compiled test file with Node's test runner. A
// missing part fails the run loudly; no test skips itself.
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const tools = require("./tools");

const root = path.resolve(__dirname, "..");
try {
  tools.ensureEtcd();
  const pulumiBin = tools.ensurePulumi();
  const calicoctl = tools.ensureCalicoctl();
  process.env.PATH = `${pulumiBin}${path.delimiter}${process.env.PATH}`;
  process.env.CALICOCTL = calicoctl;
  // The package as a user installs it, packed once before any test starts: packing runs `prepare`,
  // which rebuilds dist/provider, and tests running alongside load it.
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-pack-"));
  const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], { cwd: root, encoding: "utf8" }).trim().split("\n").pop();
  process.env.BGPPEER_TARBALL = path.join(packDir, name);
  process.on("exit", () => fs.rmSync(packDir, { recursive: true, force: true }));
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(1);
}

function find(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? find(p) : p.endsWith(".test.js") ? [p] : [];
  });
}
const only = process.argv.slice(2);
const files = find(path.join(root, "dist/test")).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error("error: no test files found; run `npm run build` first");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files.sort()], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
