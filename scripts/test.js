#!/usr/bin/env node
// `npm test`: makes sure the real parts are present (etcd, the Pulumi CLI, calicoctl), building or
// installing what is missing, then runs every compiled test file with Node's test runner. A
// missing part fails the run loudly; no test skips itself. `npm run test:unit` and
// `npm run test:integration` run one group, with only the parts it needs.
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const tools = require("./tools");
const { LINES } = require("./matrix");

const root = path.resolve(__dirname, "..");
// `node scripts/test.js [PART...]` runs the test files whose path contains a PART (all without one).
// Only the real parts those files use are made present: unit tests need none, integration tests
// etcd, the rest etcd, the Pulumi CLI and calicoctl too.
const only = process.argv.slice(2);
const needs = (group) => only.length === 0 || only.some((o) => o.startsWith(group) || !/^(unit|integration)/.test(o));
try {
  if (needs("integration") || needs("e2e")) {
    tools.ensureEtcd();
    tools.ensureZsh();
    // kube-apiserver (1.34, and 1.36 for its int32 rule), etcd 3.5 and Calico's CRDs, for the Kubernetes-datastore tests.
    for (const version of Object.keys(tools.KUBE_BUILDS)) tools.ensureKube(version);
  }
  if (needs("e2e")) {
    const pulumiBin = tools.ensurePulumi();
    process.env.PATH = `${pulumiBin}${path.delimiter}${process.env.PATH}`;
    // Pulumi YAML's language host beside the CLI, for the native provider's YAML programs.
    tools.ensureLanguageYaml(pulumiBin);
    // ... and Go's, for a Go program on the native provider's generated SDK.
    tools.ensureLanguageGo(pulumiBin);
    // The SDK generator, for the native provider's generated SDKs.
    process.env.CALICO_SDKGEN = tools.ensureSdkgen();
    // Every line of the supported matrix: its CLI and its Node.js (test/harness/lines.ts finds them again in the cache).
    for (const line of LINES) {
      tools.ensurePulumi(line.cli);
      tools.ensureNode(line.node);
    }
    process.env.CALICOCTL = tools.ensureCalicoctl();
    // The package as a user installs it, packed once before any test starts: packing runs `prepare`,
    // which rebuilds dist/provider, and tests running alongside load it.
    const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-pack-"));
    const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], { cwd: root, encoding: "utf8" }).trim().split("\n").pop();
    process.env.BGPPEER_TARBALL = path.join(packDir, name);
    process.on("exit", () => fs.rmSync(packDir, { recursive: true, force: true }));
  }
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
const files = find(path.join(root, "dist/test")).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error("error: no test files found; run `npm run build` first");
  process.exit(1);
}
const { killAll, processes } = require(path.join(root, "dist/test/harness/procs.js"));
// Every process the run starts inherits this mark, which outlives its parent: see leftBehind.
const run = `${process.pid}.${Date.now()}`;
const mark = `BGPPEER_TEST_RUN=${run}`;
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files.sort()], {
  stdio: "inherit",
  cwd: root,
  env: { ...process.env, BGPPEER_TEST_RUN: run },
});
process.exit(leftBehind() ? 1 : (r.status ?? 1));

/**
 * Tests stop what they start. A process the run started that still runs once it is over (a server
 * not stopped, a provider host orphaned by a killed CLI) fails the run, named, and is killed. It is
 * found by the mark in its environment, which a process keeps when its parent dies.
 */
function leftBehind() {
  const marked = (pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(mark);
    } catch {
      return false;
    }
  };
  const ours = () => processes().filter((p) => p.pid !== process.pid && marked(p.pid));
  // What is shutting down as the run ends gets a few seconds to go.
  const until = Date.now() + 5000;
  let left = ours();
  while (left.length && Date.now() < until) {
    spawnSync("sleep", ["0.2"]);
    left = ours();
  }
  if (!left.length) return false;
  console.error(`error: ${left.length} process(es) the tests started are still running; killed:`);
  for (const p of left) console.error(`  ${p.pid}: ${p.argv.join(" ").trim()}`);
  killAll(left.map((p) => p.pid));
  return true;
}
