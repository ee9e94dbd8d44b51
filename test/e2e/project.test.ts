import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as YAML from "yaml";
import { CLUSTER_INFORMATION_KEY, PEER_PREFIX, peerKey } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { PULUMI_TEMPLATE_TSCONFIG, packedTarball, sdkCopies, type UserProject, userProject } from "../harness/project";
import { ROOT } from "../harness/pulumi";

/**
 * What a user does: a project of their own (Pulumi.yaml, package.json, tsconfig.json, index.ts)
 * that installs the packed package, driven by the plain `pulumi` CLI with CI=true and no TTY, as a
 * terminal or a pull-request job runs it. No Automation API: the CLI starts the Node.js language
 * host, which runs the program with the project's own @pulumi/pulumi (and its ts-node for
 * TypeScript).
 */
let etcdA: TestEtcd;
let etcdB: TestEtcd;
let work: string;
let tarball: string;

const DEV_DEPS = { "@types/node": "20.19.25" };

/** The user's program: a node peer of a ToR (seed terms) and a global IPv6 route reflector. */
function program(torAsn: number, extra = ""): string {
  return `import { BgpPeer } from "pulumi-calico-bgppeer";

const tor = new BgpPeer("rack1-host1-tor", { scope: "node", node: "rack1-host1", peerIP: "10.1.0.1", asNumber: ${torAsn} });
const rr = new BgpPeer("rr-v6", { name: "rr-v6", peerIP: "2001:db8::10", asNumber: 64512, labels: { role: "rr" } });
${extra}
export const torName = tor.name;
export const rrKey = rr.key;
`;
}

/** Runs the `run` script of a step of the example pull-request workflow in the project, as the runner would. */
function runWorkflowStep(p: UserProject, id: string): void {
  const wf = YAML.parse(fs.readFileSync(path.join(ROOT, "examples/ci/pulumi-preview.yml"), "utf8"));
  const job = wf.jobs.preview;
  const step = job.steps.find((s: any) => s.id === id);
  assert.ok(step?.run, `examples/ci/pulumi-preview.yml has a step "${id}" with a run script`);
  const r = p.run("bash", ["-e", "-c", step.run], { STACK: "dev", PULUMI_SKIP_UPDATE_CHECK: job.env.PULUMI_SKIP_UPDATE_CHECK });
  assert.equal(r.status, 0, `workflow step ${id} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
}

async function peers(etcd: TestEtcd): Promise<Record<string, any>> {
  const kvs = await etcd.admin.getAll().prefix(PEER_PREFIX).strings();
  return Object.fromEntries(Object.entries(kvs).map(([k, v]) => [k.slice(PEER_PREFIX.length), JSON.parse(v)]));
}
async function revision(etcd: TestEtcd): Promise<string> {
  return (await etcd.admin.get("/nothing").exec()).header.revision;
}

before(async () => {
  [etcdA, etcdB] = await Promise.all([startEtcd(), startEtcd()]);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-project-"));
  tarball = packedTarball();
});
after(async () => {
  await Promise.all([etcdA?.stop(), etcdB?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("ships the built code, the LICENSE, the changelog, and source maps whose sources it ships", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
    for (const f of [
      "package/LICENSE",
      "package/CHANGELOG.md",
      "package/README.md",
      // The README links to these.
      "package/docs/reference.md",
      "package/docs/connection.md",
      "package/dist/provider/index.js",
      "package/dist/provider/dynamic/peer-provider.js",
      "package/dist/provider/dynamic/shim.js",
      "package/dist/provider/native/main.js",
      "package/plugin/pulumi-resource-calico",
    ]) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    const maps = files.filter((f) => f.endsWith(".map"));
    assert.ok(maps.length > 10);
    const unpacked = path.join(work, "unpacked");
    fs.mkdirSync(unpacked);
    execFileSync("tar", ["-xzf", tarball, "-C", unpacked]);
    for (const m of maps) {
      const map = JSON.parse(fs.readFileSync(path.join(unpacked, m), "utf8"));
      for (const s of map.sources)
        assert.ok(fs.existsSync(path.resolve(path.dirname(path.join(unpacked, m)), s)), `${m} points at ${s}, which the tarball holds`);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, "package/package.json"), "utf8"));
    assert.equal(manifest.dependencies["@pulumi/pulumi"], undefined, "the SDK is the user's: a peer dependency");
    assert.match(manifest.peerDependencies["@pulumi/pulumi"], /^>=3\.216\.0 /);
  });
});

describe("a TypeScript project with Pulumi's template tsconfig (TypeScript 5.9), run by the plain CLI", { concurrency: false }, () => {
  let p: UserProject;

  before(() => {
    p = userProject(work, "fabric", {
      dependencies: { "pulumi-calico-bgppeer": `file:${tarball}`, "@pulumi/pulumi": "3.248.0", typescript: "5.9.3", ...DEV_DEPS },
      files: { "tsconfig.json": JSON.stringify(PULUMI_TEMPLATE_TSCONFIG, null, 2), "index.ts": program(64512) },
    });
    p.ok(["stack", "init", "dev"]);
    p.ok(["config", "set", "calico:etcdEndpoints", etcdA.endpoint]);
  });

  it("the project has one copy of the SDK, its own", () => {
    assert.deepEqual(sdkCopies(p.dir), [path.join(p.dir, "node_modules/@pulumi/pulumi")]);
  });

  it("preview writes nothing; up creates exactly the declared peers; a second preview expects no changes", async () => {
    const rev = await revision(etcdA);
    const pv = p.ok(["preview"]);
    assert.match(pv, /\+ 3 to create/);
    assert.equal(await revision(etcdA), rev, "preview wrote nothing");
    const up = p.ok(["up", "--yes"]);
    assert.match(up, /\+ 3 created/);
    const k = await peers(etcdA);
    assert.deepEqual(Object.keys(k).sort(), ["rack1-host1.10-1-0-1", "rr-v6"]);
    assert.deepEqual(k["rack1-host1.10-1-0-1"].spec, { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 64512 });
    assert.deepEqual(k["rr-v6"].metadata.labels, { role: "rr" });
    const rev2 = await revision(etcdA);
    assert.match(p.ok(["preview", "--expect-no-changes"]), /3 unchanged/);
    assert.equal(await revision(etcdA), rev2);
    assert.equal(p.ok(["stack", "output", "torName"]).trim(), "rack1-host1.10-1-0-1");
    assert.equal(p.ok(["stack", "output", "rrKey"]).trim(), peerKey("rr-v6"));
  });

  it("a program edit shows as field-level lines in the pull-request workflow's preview, and a bot gets each changed peer", async () => {
    p.write("index.ts", program(64513));
    const rev = await revision(etcdA);
    // The commands of examples/ci/pulumi-preview.yml, as written there, with CI=true and no TTY.
    runWorkflowStep(p, "preview");
    const pv = fs.readFileSync(path.join(p.dir, "preview.txt"), "utf8");
    assert.match(pv, /~ pulumi-nodejs:dynamic\/calico:BgpPeer: \(update\)\n\s+\[id=rack1-host1\.10-1-0-1\]/);
    assert.match(pv, /^\s+~ asNumber: 64512 => 64513$/m);
    assert.match(pv, /~ 1 to update/);
    assert.ok(!pv.includes("\u001b["), "no terminal colour codes in a pull-request comment");
    console.log(
      `preview --diff from a user project:\n${pv
        .split("\n")
        .filter((l) => l.trim())
        .slice(0, 20)
        .join("\n")}`,
    );
    assert.notEqual(p.pulumi(["preview", "--expect-no-changes"]).status, 0, "--expect-no-changes fails on a pending change");

    runWorkflowStep(p, "preview-json");
    const json = JSON.parse(fs.readFileSync(path.join(p.dir, "preview.json"), "utf8"));
    assert.deepEqual(json.changeSummary, { same: 2, update: 1 });
    const changed = json.steps.filter((s: any) => s.op !== "same");
    assert.deepEqual(
      changed.map((s: any) => [s.op, s.urn.split("::").pop()]),
      [["update", "rack1-host1-tor"]],
    );
    // The dynamic provider host passes the engine no diff keys (no diffReasons, detailedDiff null),
    // so a bot compares the normalized inputs, as the README's "Pull-request previews" shows.
    const step = changed[0];
    assert.equal(step.detailedDiff, null);
    assert.equal(step.diffReasons, undefined);
    const keys = [...new Set([...Object.keys(step.oldState.inputs), ...Object.keys(step.newState.inputs)])];
    const diff = keys.filter((k) => k !== "__provider" && JSON.stringify(step.oldState.inputs[k]) !== JSON.stringify(step.newState.inputs[k]));
    assert.deepEqual(diff, ["asNumber"]);
    assert.equal(step.oldState.inputs.asNumber, 64512);
    assert.equal(step.newState.inputs.asNumber, 64513);
    assert.equal(await revision(etcdA), rev, "previews wrote nothing");
  });

  it("up applies the edit in place", async () => {
    const uid = (await peers(etcdA))["rack1-host1.10-1-0-1"].metadata.uid;
    assert.match(p.ok(["up", "--yes"]), /~ 1 updated/);
    const k = (await peers(etcdA))["rack1-host1.10-1-0-1"];
    assert.equal(k.spec.asNumber, 64513);
    assert.equal(k.metadata.uid, uid);
  });

  it("an out-of-band edit shows in preview --refresh --diff; refresh takes it in; up restores the program's value", async () => {
    const v = (await peers(etcdA))["rr-v6"];
    v.spec.asNumber = 65000;
    await etcdA.admin.put(peerKey("rr-v6")).value(JSON.stringify(v));
    const pv = p.ok(["preview", "--refresh", "--diff"]);
    assert.match(pv, /^\s+~ asNumber: 65000 => 64512$/m);
    p.ok(["refresh", "--yes"]);
    const state = JSON.parse(p.ok(["stack", "export"]));
    assert.equal(state.deployment.resources.find((r: any) => r.id === "rr-v6").outputs.asNumber, 65000);
    p.ok(["up", "--yes"]);
    assert.equal((await peers(etcdA))["rr-v6"].spec.asNumber, 64512);
  });

  it("the import resource option fails at preview with what to do instead, and nothing is written", async () => {
    const rev = await revision(etcdA);
    p.write("index.ts", program(64513, `new BgpPeer("legacy", { peerIP: "10.9.0.1", asNumber: 64999 }, { import: "legacy" });`));
    const r = p.pulumi(["preview"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /the `import` resource option cannot work for BgpPeer.*set `adopt: true`/s);
    p.write("index.ts", program(64513));
    assert.equal(await revision(etcdA), rev);
  });

  it("a field the cluster's Calico predates fails at preview with calico:calicoVersion, and at up when ClusterInformation declares it", async () => {
    const rev = await revision(etcdA);
    p.write("index.ts", program(64513, `new BgpPeer("ka", { name: "ka", peerIP: "10.9.0.2", asNumber: 64999, keepaliveTime: "30s" });`));
    p.ok(["config", "set", "calico:calicoVersion", "v3.31.0"]);
    let r = p.pulumi(["preview"]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.stdout + r.stderr,
      /keepaliveTime: is not supported by Calico v3\.31\.0 \(stack config calico:calicoVersion\): calico-node reads keepaliveTime from Calico v3\.32\.0 on/,
    );
    p.ok(["config", "rm", "calico:calicoVersion"]);
    // calico-node records its release in ClusterInformation; without calico:calicoVersion, up reads it.
    await etcdA.admin
      .put(CLUSTER_INFORMATION_KEY)
      .value(
        JSON.stringify({ kind: "ClusterInformation", apiVersion: "projectcalico.org/v3", metadata: { name: "default" }, spec: { calicoVersion: "v3.31.0" } }),
      );
    const rev2 = await revision(etcdA);
    r = p.pulumi(["up", "--yes"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /BGPPeer "ka": keepaliveTime: is not supported by Calico v3\.31\.0 \(ClusterInformation in etcd\).*Nothing was written/);
    assert.equal(await revision(etcdA), rev2, "nothing was written");
    await etcdA.admin.delete().key(CLUSTER_INFORMATION_KEY);
    p.write("index.ts", program(64513));
    assert.ok(Number(rev2) === Number(rev) + 1);
    p.ok(["preview", "--expect-no-changes"]);
  });

  it("BgpPeer.get reads a peer the stack does not manage, and leaving it out of the program does not delete it", async () => {
    await etcdA.admin
      .put(peerKey("external-rr"))
      .value(
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"external-rr","uid":"aaaaaaaa-2222-4333-8444-555555555555","creationTimestamp":"2021-01-01T00:00:00Z"},"spec":{"peerIP":"10.8.0.1","asNumber":65008}}',
      );
    const before = await etcdA.admin.get(peerKey("external-rr")).string();
    p.write("index.ts", program(64513, `export const externalAsn = BgpPeer.get("external", "external-rr").asNumber;`));
    const rev = await revision(etcdA);
    p.ok(["up", "--yes"]);
    assert.equal(p.ok(["stack", "output", "externalAsn"]).trim(), "65008");
    assert.equal(await revision(etcdA), rev, "reading writes nothing");
    p.write("index.ts", program(64513));
    p.ok(["up", "--yes"]);
    assert.equal(await etcdA.admin.get(peerKey("external-rr")).string(), before, "a peer read with get is never deleted");
    await etcdA.admin.delete().key(peerKey("external-rr"));
  });

  it("preview tells the truth about a new peer that already exists: without adopt it fails, with adopt it says what changes", async () => {
    await etcdA.admin
      .put(peerKey("legacy"))
      .value(
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"legacy","uid":"bbbbbbbb-2222-4333-8444-555555555555","creationTimestamp":"2020-01-01T00:00:00Z"},"spec":{"peerIP":"10.7.0.1","asNumber":65000}}',
      );
    const rev = await revision(etcdA);
    p.write("index.ts", program(64513, `new BgpPeer("legacy", { name: "legacy", peerIP: "10.7.0.1", asNumber: 64999 });`));
    let r = p.pulumi(["preview", "--diff"]);
    assert.notEqual(r.status, 0, "the preview fails, as the up after the merge would");
    assert.match(
      r.stdout + r.stderr,
      /resource 'legacy' has a problem: BGPPeer "legacy" already exists in etcd \(uid bbbbbbbb-2222-4333-8444-555555555555, created 2020-01-01T00:00:00Z\) and is not managed by this stack\. Nothing was written\. To bring it under Pulumi management, set `adopt: true`/,
    );
    p.write("index.ts", program(64513, `new BgpPeer("legacy", { name: "legacy", peerIP: "10.7.0.1", asNumber: 64999, adopt: true });`));
    r = p.pulumi(["preview", "--diff"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /BGPPeer "legacy" exists in etcd; adopting it will change asNumber: 65000 => 64999/);
    assert.equal(await revision(etcdA), rev, "previews wrote nothing");
    p.ok(["up", "--yes"]);
    const adopted = JSON.parse((await etcdA.admin.get(peerKey("legacy")).string())!);
    assert.equal(adopted.spec.asNumber, 64999);
    assert.equal(adopted.metadata.uid, "bbbbbbbb-2222-4333-8444-555555555555");
    // Keep it in etcd when the stack lets go of it: Pulumi's own retainOnDelete.
    p.write(
      "index.ts",
      program(64513, `new BgpPeer("legacy", { name: "legacy", peerIP: "10.7.0.1", asNumber: 64999, adopt: true }, { retainOnDelete: true });`),
    );
    p.ok(["up", "--yes"]);
    p.write("index.ts", program(64513));
    p.ok(["up", "--yes"]);
    assert.ok(await etcdA.admin.get(peerKey("legacy")).string(), "retainOnDelete kept the adopted peer in etcd");
    await etcdA.admin.delete().key(peerKey("legacy"));
  });

  it("a password set without --secret fails the preview, and no key material reaches state", async () => {
    p.ok(["config", "set", "calico:etcdPassword", "plain-Pa55-word"]);
    const r = p.pulumi(["preview"]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.stdout + r.stderr,
      /calico:etcdPassword is set in plain text: Pulumi would store it unencrypted in state\. Set it again as a secret: pulumi config set --secret calico:etcdPassword <value>/,
    );
    assert.ok(!(r.stdout + r.stderr).includes("plain-Pa55-word"), "the message does not print the password");
    p.ok(["config", "set", "--secret", "calico:etcdPassword", "plain-Pa55-word"]);
    p.ok(["up", "--yes"]);
    const state = p.ok(["stack", "export"]);
    assert.ok(!state.includes("plain-Pa55-word"), "no plaintext password in state");
    assert.ok(state.includes("calico:etcdPassword"), "the engine records it, encrypted");
    p.ok(["config", "rm", "calico:etcdPassword"]);
  });

  it("the exported provider works from a script in another directory", async () => {
    const script = `const { provider } = require(${JSON.stringify(path.join(p.dir, "node_modules/pulumi-calico-bgppeer"))});
(async () => {
  const c = await provider.check({}, { name: "x", peerIP: "2001:DB8::1", asNumber: "1.10" });
  const r = await provider.read("rr-v6");
  console.log(JSON.stringify({ inputs: c.inputs, asNumber: r.props.asNumber }));
  process.exit(0); // the etcd client keeps its connection open
})().catch((e) => { console.error(e.message); process.exit(1); });`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd: os.tmpdir(), env: { ...process.env, ETCD_ENDPOINTS: etcdA.endpoint }, encoding: "utf8" });
    const res = JSON.parse(out);
    assert.deepEqual(res.inputs, { name: "x", peerIP: "2001:DB8::1", asNumber: 65546 });
    assert.equal(res.asNumber, 64512);
  });

  it("two stacks of one project manage two etcds through Pulumi.<stack>.yaml", async () => {
    p.ok(["stack", "init", "site-b"]);
    p.ok(["config", "set", "calico:etcdEndpoints", etcdB.endpoint]);
    assert.match(fs.readFileSync(path.join(p.dir, "Pulumi.site-b.yaml"), "utf8"), new RegExp(etcdB.endpoint));
    assert.match(fs.readFileSync(path.join(p.dir, "Pulumi.dev.yaml"), "utf8"), new RegExp(etcdA.endpoint));
    const revA = await revision(etcdA);
    assert.match(p.ok(["up", "--yes", "--stack", "site-b"]), /\+ 3 created/);
    assert.deepEqual(Object.keys(await peers(etcdB)).sort(), ["rack1-host1.10-1-0-1", "rr-v6"]);
    assert.equal(await revision(etcdA), revA, "site-b's up did not touch dev's etcd");
    p.ok(["preview", "--expect-no-changes", "--stack", "dev"]);
    p.ok(["destroy", "--yes", "--stack", "site-b"]);
    assert.deepEqual(await peers(etcdB), {});
    assert.equal(Object.keys(await peers(etcdA)).length, 2);
  });

  it("destroy removes the stack's peers", async () => {
    p.ok(["destroy", "--yes", "--stack", "dev"]);
    assert.deepEqual(await peers(etcdA), {});
  });
});

describe("a JavaScript project on the lowest supported SDK (@pulumi/pulumi 3.216.0)", { concurrency: false }, () => {
  let p: UserProject;

  before(() => {
    p = userProject(work, "js-fabric", {
      dependencies: { "pulumi-calico-bgppeer": `file:${tarball}`, "@pulumi/pulumi": "3.216.0" },
      files: {
        "index.js": `"use strict";
const { BgpPeer } = require("pulumi-calico-bgppeer");
const peer = new BgpPeer("rack2-host1-tor", { scope: "node", hostname: "rack2-host1", peerIP: "10.2.0.1", asNumber: "1.10" });
exports.name = peer.name;
`,
      },
    });
    p.ok(["stack", "init", "dev"]);
    p.ok(["config", "set", "calico:etcdEndpoints", etcdA.endpoint]);
  });

  it("installs one SDK copy, the project's 3.216.0", () => {
    assert.deepEqual(sdkCopies(p.dir), [path.join(p.dir, "node_modules/@pulumi/pulumi")]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(p.dir, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version, "3.216.0");
  });

  it("up, a no-op preview, drift through refresh, and destroy", async () => {
    assert.match(p.ok(["up", "--yes"]), /\+ 2 created/);
    const k = await peers(etcdA);
    assert.deepEqual(k["rack2-host1.10-2-0-1"].spec, { node: "rack2-host1", peerIP: "10.2.0.1", asNumber: 65546 });
    assert.match(p.ok(["preview", "--expect-no-changes"]), /2 unchanged/);
    const v = k["rack2-host1.10-2-0-1"];
    v.spec.asNumber = 65547;
    await etcdA.admin.put(peerKey("rack2-host1.10-2-0-1")).value(JSON.stringify(v));
    assert.match(p.ok(["preview", "--refresh", "--diff"]), /^\s+~ asNumber: 65547 => 65546$/m);
    p.ok(["up", "--yes", "--refresh"]);
    assert.equal((await peers(etcdA))["rack2-host1.10-2-0-1"].spec.asNumber, 65546);
    p.ok(["destroy", "--yes"]);
    assert.deepEqual(await peers(etcdA), {});
  });
});

describe("a TypeScript 6 project with the README's tsconfig", { concurrency: false }, () => {
  it("previews, creates, shows no changes, and destroys", async () => {
    const p = userProject(work, "ts6-fabric", {
      dependencies: { "pulumi-calico-bgppeer": `file:${tarball}`, "@pulumi/pulumi": "3.248.0", typescript: "6.0.3", ...DEV_DEPS },
      files: {
        "tsconfig.json": JSON.stringify(
          { compilerOptions: { strict: true, target: "es2022", module: "node16", moduleResolution: "node16", types: ["node"] }, files: ["index.ts"] },
          null,
          2,
        ),
        "index.ts": program(64512),
      },
    });
    p.ok(["stack", "init", "dev"]);
    p.ok(["config", "set", "calico:etcdEndpoints", etcdB.endpoint]);
    assert.match(p.ok(["preview"]), /\+ 3 to create/);
    p.ok(["up", "--yes"]);
    assert.deepEqual(Object.keys(await peers(etcdB)).sort(), ["rack1-host1.10-1-0-1", "rr-v6"]);
    p.ok(["preview", "--expect-no-changes"]);
    p.ok(["destroy", "--yes"]);
    assert.deepEqual(await peers(etcdB), {});
  });
});
