import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { OLDEST_SDK } from "../../provider/program/compat";
import { LINES } from "../harness/lines";

/** Claims of the README and package.json that follow from code, checked so that they cannot drift. */
const ROOT = path.resolve(__dirname, "../../..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const COMPAT = fs.readFileSync(path.join(ROOT, "docs", "compatibility.md"), "utf8");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const tools = require("../../../scripts/tools.js") as { PULUMI_BUILDS: Record<string, string>; NODE_VERSIONS: Record<string, string> };

/** The rows of the table under `heading` in `text`, as arrays of trimmed cells. */
function table(text: string, heading: string): string[][] {
  const at = `\n${text}`.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `a section "${heading}"`);
  const rows: string[][] = [];
  for (const line of text.slice(at + heading.length + 1).split("\n")) {
    if (line.startsWith("#")) break;
    if (!line.startsWith("|") || /^\|\s*-/.test(line)) continue;
    rows.push(
      line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows.slice(1);
}

describe("docs/compatibility.md's table is the tested matrix (scripts/matrix.js)", () => {
  it("has one row per line, with its Node.js, SDK and CLI", () => {
    const rows = table(COMPAT, "# Compatibility").filter((r) => /^\d+$/.test(r[0]));
    assert.deepEqual(
      rows.map((r) => r.slice(0, 3)),
      LINES.map((l) => [String(l.node), l.sdk, l.cli]),
    );
  });

  it("the README's short table gives, per Node.js line, the newest SDK the matrix runs there", () => {
    const rows = table(README, "## Compatibility");
    const newest = (nodes: number[]) =>
      LINES.filter((l) => nodes.includes(l.node))
        .map((l) => l.sdk)
        .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
        .pop();
    assert.deepEqual(
      rows.map((r) => [r[0], r[1].split(" ")[0]]),
      [
        ["22 or 24", newest([22, 24])],
        ["20", newest([20])],
      ],
    );
    assert.ok(README.includes(`npm install @pulumi/pulumi@${newest([20])}`), "the Node 20 pin");
  });

  it("every line's tools are ones scripts/tools.js can make", () => {
    for (const l of LINES) {
      assert.ok(tools.PULUMI_BUILDS[l.cli], `a Pulumi CLI build for ${l.cli}`);
      assert.ok(tools.NODE_VERSIONS[l.node], `a Node.js ${l.node} package`);
    }
  });

  it("the peer range starts at the oldest SDK drift detection works with, and takes every line's SDK", () => {
    const range = PKG.peerDependencies["@pulumi/pulumi"];
    assert.equal(range, `>=${OLDEST_SDK} <4`);
    assert.ok(
      LINES.some((l) => l.sdk === OLDEST_SDK),
      "the oldest SDK of the range is tested",
    );
    assert.match(README, new RegExp(`\`${range.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\``), "the README states the range");
    assert.equal(PKG.engines.node, ">=20");
  });
});

const DOCS = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`), "BENCHMARKS.md", "CHANGELOG.md"].filter((f) =>
  f.endsWith(".md"),
);
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replace(/ /g, "-");

/** The anchors of a Markdown file's headings, outside code blocks. */
function anchors(text: string): Set<string> {
  const out = new Set<string>();
  let fence = false;
  for (const line of text.split("\n")) {
    if (line.trimStart().startsWith("```")) fence = !fence;
    const m = fence ? null : /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(slug(m[1]));
  }
  return out;
}

describe("the README and docs/ link only to what exists", () => {
  it("every relative link names a file of the repository, and every #anchor a heading in it", () => {
    const broken: string[] = [];
    for (const f of DOCS) {
      const text = read(f).replace(/```[\s\S]*?```/g, "");
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1];
        if (/^[a-z]+:/.test(link)) continue;
        const [file, anchor] = link.split("#");
        const target = file ? path.normalize(path.join(path.dirname(f), file)) : f;
        if (!fs.existsSync(path.join(ROOT, target))) broken.push(`${f}: ${link} (no file ${target})`);
        else if (anchor && !anchors(read(target)).has(anchor)) broken.push(`${f}: ${link} (no heading #${anchor} in ${target})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it("the README's first screen: install, a datastore line for each, preview and up, import", () => {
    const quick = README.slice(README.indexOf("## Quickstart"), README.indexOf("## The demo"));
    for (const step of [
      "npm install @pulumi/pulumi@latest",
      "pulumi config set calico:etcdEndpoints",
      "pulumi config set calico:datastoreType kubernetes",
      "pulumi preview --diff",
      "pulumi up",
      "npx calico-bgppeer import --out peers.ts",
    ])
      assert.ok(quick.includes(step), step);
    assert.ok(README.indexOf("## Quickstart") < 2_500, "the quickstart starts within the first screen");
  });
});

describe("docs/connection.md's table is the code's list of settings", () => {
  const config = require("../../../dist/provider/datastore/config") as typeof import("../../provider/datastore/config");
  const { SECRET_CONFIG } = require("../../../dist/provider/program/bgp-peer") as typeof import("../../provider/program/bgp-peer");
  const rows = table(read("docs/connection.md"), "# Connection settings").map((r) => r.map((c) => c.replace(/`/g, "")));
  const byKey = new Map(rows.map((r) => [r[1], r]));

  it("lists every stack key, with its environment variable and calicoctl.cfg key, and no other", () => {
    const expected: [string, string | undefined, string | undefined][] = [];
    for (const [f, key] of Object.entries(config.STACK_KEYS)) {
      expected.push([key, config.ENV_KEYS[f as keyof typeof config.ENV_KEYS], config.FILE_KEYS[f as keyof typeof config.FILE_KEYS]]);
    }
    for (const [f, key] of Object.entries(config.KUBE_STACK_KEYS)) {
      expected.push([key, config.KUBE_ENV_KEYS[f as keyof typeof config.KUBE_ENV_KEYS], f]);
    }
    expected.push([config.VERSION_KEYS.stack, config.VERSION_KEYS.env, undefined]);
    assert.deepEqual(
      rows.map((r) => [r[1], r[2] || undefined, r[3] || undefined]),
      expected,
    );
  });

  it("marks as secret exactly the keys the provider refuses in plain text", () => {
    assert.deepEqual(
      rows.filter((r) => r[5] === "yes").map((r) => r[1]),
      SECRET_CONFIG.filter((k) => byKey.has(k)).sort((a, b) => rows.findIndex((r) => r[1] === a) - rows.findIndex((r) => r[1] === b)),
    );
    assert.equal(SECRET_CONFIG.filter((k) => !byKey.has(k)).length, 0);
    // The README names them too, where it says they must be set with --secret.
    const said = README.slice(README.indexOf("## Connection settings"), README.indexOf("## Compatibility"));
    assert.deepEqual(
      [...said.matchAll(/`(calico:[A-Za-z0-9]+)`/g)].map((m) => m[1]).filter((k) => SECRET_CONFIG.includes(k)),
      SECRET_CONFIG,
    );
    assert.ok(rows.every((r) => r[5] === "yes" || r[5] === "no"));
  });

  it("states the defaults the code uses", () => {
    assert.equal(byKey.get("calico:etcdEndpoints")?.[4], "http://127.0.0.1:2379");
    assert.equal(byKey.get("calico:etcdTimeout")?.[4], `${config.DEFAULT_TIMEOUT_MS / 1000}s`);
    assert.equal(byKey.get("calico:calicoctlConfig")?.[4], config.DEFAULT_CALICOCTL_CONFIG);
    assert.match(String(byKey.get("calico:datastoreType")?.[4]), /^etcdv3/);
  });
});

describe("the CLI the docs describe is the CLI", () => {
  const { program } = require("../../../dist/provider/cli/main") as typeof import("../../provider/cli/main");
  const p = program();
  const commands = new Map(p.commands.map((c) => [c.name(), c]));
  const options = new Set([...p.options, ...p.commands.flatMap((c) => c.options)].flatMap((o) => [o.long, o.short]).filter(Boolean));

  it("docs/cli.md's table has a row per command, and each exists", () => {
    const rows = table(read("docs/cli.md"), "# The `calico-bgppeer` CLI");
    const documented = rows.map((r) => /^`([a-z]+)/.exec(r[0])?.[1]);
    assert.deepEqual([...documented].sort(), [...commands.keys()].sort());
  });

  it("every calico-bgppeer command and option in the README and docs/cli.md exists", () => {
    const missing: string[] = [];
    for (const f of ["README.md", "docs/cli.md", "docs/connection.md"]) {
      const text = read(f);
      for (const m of text.matchAll(/calico-bgppeer ([a-z]+)((?: [^\n`#|]*)?)/g)) {
        if (!commands.has(m[1]) && !["is", "command", "the", "import", "from"].includes(m[1])) missing.push(`${f}: command ${m[1]}`);
        for (const o of m[2].matchAll(/(?:^|\s)(--?[a-zA-Z][\w-]*)/g)) if (!options.has(o[1])) missing.push(`${f}: option ${o[1]} in "${m[0].trim()}"`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
