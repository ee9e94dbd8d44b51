#!/usr/bin/env node
// `node scripts/sdk-range.js [FROM] [TO]`: what changed, release by release, in the parts of
// @pulumi/pulumi a dynamic provider runs on (dynamic/ and cmd/dynamic-provider/, comments and
// source maps left out), and each release's engines.node. It packs every release between FROM and
// TO (default: this package's peer range floor and the newest) from the npm registry into a
// temporary directory: about 1.5 MB a release. docs/compatibility.md records its output.
"use strict";
const { execFileSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const num = (v) => v.split(".").map(Number);
const cmp = (a, b) => {
  const [x, y] = [num(a), num(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
};

const all = JSON.parse(execFileSync("npm", ["view", "@pulumi/pulumi", "versions", "--json"], { encoding: "utf8" })).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
const from = process.argv[2] ?? "3.216.0";
const to = process.argv[3] ?? all[all.length - 1];
const versions = all.filter((v) => cmp(v, from) >= 0 && cmp(v, to) <= 0).sort(cmp);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sdk-range-"));

function js(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith(".js"))
    .sort()
    .map((f) => path.join(dir, f));
}

let last;
try {
  for (const v of versions) {
    const dir = path.join(tmp, v);
    fs.mkdirSync(dir);
    const tgz = execFileSync("npm", ["pack", "--silent", `@pulumi/pulumi@${v}`, "--pack-destination", dir], { encoding: "utf8" })
      .trim()
      .split("\n")
      .pop();
    execFileSync("tar", ["-xzf", path.join(dir, tgz), "-C", dir, "package/package.json", "package/dynamic", "package/cmd/dynamic-provider"]);
    const h = crypto.createHash("sha256");
    for (const f of [...js(path.join(dir, "package/dynamic")), ...js(path.join(dir, "package/cmd/dynamic-provider"))]) {
      // Copyright headers change with no code change.
      h.update(path.relative(dir, f));
      h.update(fs.readFileSync(f, "utf8").replace(/^\s*\/\/.*$/gm, ""));
    }
    const sum = h.digest("hex").slice(0, 12);
    const engines = JSON.parse(fs.readFileSync(path.join(dir, "package/package.json"), "utf8")).engines?.node ?? "-";
    const mark = last && last.sum !== sum ? `  <- changed since ${last.v}` : "";
    console.log(`${v.padEnd(8)} ${sum} node ${engines}${mark}`);
    if (last && last.sum !== sum) {
      const r = require("node:child_process").spawnSync(
        "diff",
        ["-r", "-I", "^\\s*//", "-x", "*.map", "-x", "*.d.ts", path.join(tmp, last.v, "package"), path.join(dir, "package"), "--exclude=package.json"],
        { encoding: "utf8" },
      );
      console.log(
        r.stdout
          .split("\n")
          .map((l) => `    ${l}`)
          .join("\n"),
      );
    }
    if (last) fs.rmSync(path.join(tmp, last.v), { recursive: true, force: true });
    last = { v, sum };
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
