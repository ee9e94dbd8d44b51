#!/usr/bin/env node
// `npm run build:lib` (and `prepare`, so `npm pack`, `npm publish` and git installs build it): the
// published library alone, into a clean dist/provider, so no module deleted from provider/ ships.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
fs.rmSync(path.join(ROOT, "dist/provider"), { recursive: true, force: true });
const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
const r = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.lib.json")], { cwd: ROOT, stdio: "inherit" });
process.exit(r.status ?? 1);
