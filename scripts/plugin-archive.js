#!/usr/bin/env node
// `npm run plugin:archive [-- --out DIR]`: the native provider plugin `calico` as one archive that
// `pulumi plugin install resource calico <version> --file <archive>` takes: the packed package,
// its production dependencies and @pulumi/pulumi (whose gRPC stubs it serves with), and
// pulumi-resource-calico at the archive's root. It runs on the user's node (any supported line).
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");

/** Builds the archive into `outDir`; returns its path. `tarball`: a packed package to use instead of packing one. */
function buildArchive(outDir, tarball) {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  // The SDK the plugin serves with: the one this repository builds and tests against.
  const sdk = manifest.devDependencies["@pulumi/pulumi"];
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "calico-plugin-"));
  try {
    const packed =
      tarball ??
      path.join(stage, execFileSync("npm", ["pack", "--silent", "--pack-destination", stage], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").pop());
    execFileSync("tar", ["-xzf", packed, "-C", stage]);
    const dir = path.join(stage, "package");
    // The package's dependencies plus the SDK (its peer, a dependency here), and no install scripts.
    const staged = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    delete staged.devDependencies;
    delete staged.scripts;
    staged.dependencies = { ...staged.dependencies, "@pulumi/pulumi": sdk };
    fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(staged, null, 2)}\n`);
    execFileSync("npm", ["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"], {
      cwd: dir,
      stdio: ["ignore", "inherit", "inherit"],
    });
    fs.copyFileSync(path.join(dir, "plugin/pulumi-resource-calico"), path.join(dir, "pulumi-resource-calico"));
    fs.chmodSync(path.join(dir, "pulumi-resource-calico"), 0o755);
    fs.mkdirSync(outDir, { recursive: true });
    const out = path.join(path.resolve(outDir), `pulumi-resource-calico-v${manifest.version}-linux-amd64.tar.gz`);
    execFileSync("tar", ["-czf", out, "-C", dir, "."]);
    return out;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

module.exports = { buildArchive };

if (require.main === module) {
  const i = process.argv.indexOf("--out");
  const out = buildArchive(i > 0 ? process.argv[i + 1] : path.join(ROOT, "dist"));
  process.stdout.write(`${out}\n`);
}
