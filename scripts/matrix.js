// The supported matrix, in one place: each line is a Node.js major, a @pulumi/pulumi SDK and a
// Pulumi CLI that `npm test` runs a user's project on. The table in docs/compatibility.md is checked
// against it (test/unit/docs.test.ts), and scripts/test.js makes each line's tools present.
"use strict";

/**
 * `suite` says what runs on the line: "all" is the whole of `npm test` (the repository's own
 * node_modules, on the machine's Node 20); "project" is the user-project scenarios of
 * test/e2e/lines.test.ts, in a fresh project that installs the packed package with npm.
 */
const LINES = [
  { id: "node20-sdk3.216", node: 20, sdk: "3.216.0", cli: "v3.248.0", suite: "project" },
  { id: "node20-sdk3.248", node: 20, sdk: "3.248.0", cli: "v3.248.0", suite: "all" },
  { id: "node20-sdk3.248-cli3.276", node: 20, sdk: "3.248.0", cli: "v3.276.0", suite: "project" },
  { id: "node22-sdk3.276-cli3.248", node: 22, sdk: "3.276.0", cli: "v3.248.0", suite: "project" },
  { id: "node22-sdk3.276", node: 22, sdk: "3.276.0", cli: "v3.276.0", suite: "project" },
  { id: "node24-sdk3.276", node: 24, sdk: "3.276.0", cli: "v3.276.0", suite: "project" },
];

/** The @types/node a user's project on each Node.js major has, pinned: what the lines' projects install. */
const TYPES_NODE = { 20: "20.19.25", 22: "22.20.7", 24: "24.19.4" };

module.exports = { LINES, TYPES_NODE };
