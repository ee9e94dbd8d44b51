import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PEER_PREFIX } from "../../provider/model/codec";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { npmPack, packedTarball } from "../harness/project";
import { pulumiBinDir, ROOT } from "../harness/pulumi";

/**
 * A user's project installs the package from a tarball made by `npm pack`, creates peers, then
 * upgrades to a newer version of the package (a second tarball with a bumped version whose
 * implementation reports that it ran) and reinstalls. The upgrade must show no changes, and the
 * engine must run the new implementation, not one frozen into state.
 *
 * The program runs in a child process from the user's project with that project's own
 * @pulumi/pulumi and the installed package (a Pulumi program sees one copy of the SDK; the test's
 * copy would be a second), and drives the real CLI through the Automation API.
 */
/** Release 0.1.0 as `npm pack` made it at commit 681e778, the last with the flat provider/ layout. */
const RELEASE_0_1_0 = path.join(ROOT, "test/fixtures/releases/pulumi-calico-bgppeer-0.1.0.tgz");

let etcd: TestEtcd;
let work: string;
let proj: string;
const marker = () => path.join(work, "impl-ran");

const DRIVER = `"use strict";
const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");
const { BgpPeer, RackPeers } = require("pulumi-calico-bgppeer");
const [op, work, pulumiRoot] = process.argv.slice(2);
function program() {
  return {
    tor: new BgpPeer("tor", { scope: "node", node: "rack1-host1", peerIP: "10.1.0.1", asNumber: "64512.1" }).key,
    rr: new BgpPeer("rr", { name: "rr", peerIP: "2001:db8::1", asNumber: 64512, keepOriginalNextHop: true }).key,
    rack: new RackPeers("rack2", { hosts: ["rack2-host1", "rack2-host2"], tors: [{ ip: "10.2.0.1", asNumber: 64512 }] }).id,
  };
}
(async () => {
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "upgrade", projectName: "fabric", program },
    {
      workDir: work,
      pulumiCommand: await PulumiCommand.get({ root: pulumiRoot }),
      projectSettings: { name: "fabric", runtime: "nodejs", main: __dirname, backend: { url: "file://" + work } },
      envVars: { PULUMI_CONFIG_PASSPHRASE: "upgrade", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" },
    },
  );
  let out;
  if (op === "up") out = (await stack.up()).summary.resourceChanges;
  else if (op === "preview") { const p = await stack.preview({ diff: true }); out = { changes: p.changeSummary, stdout: p.stdout }; }
  else if (op === "refresh") out = (await stack.refresh()).summary.resourceChanges;
  else if (op === "destroy") out = (await stack.destroy()).summary.resourceChanges;
  else if (op === "export") out = (await stack.exportStack()).deployment;
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

function sh(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) {
  return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
}
function install(tarball: string) {
  sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], proj);
}
let pulumiRoot: string;
function pulumi(op: string): any {
  const env = { ...process.env, ETCD_ENDPOINTS: etcd.endpoint, BGPPEER_TEST_MARKER: marker() };
  return JSON.parse(sh(process.execPath, ["driver.js", op, work, pulumiRoot], proj, env));
}
function providerTexts(deployment: any): string[] {
  // By URN: the engine writes resources in the order they registered, which may differ between runs.
  return deployment.resources
    .filter((r: any) => /:(BgpPeer|BgpPeerSet)$/.test(r.type))
    .sort((a: any, b: any) => (a.urn < b.urn ? -1 : 1))
    .flatMap((r: any) => [r.inputs.__provider, r.outputs.__provider]);
}
async function revision() {
  return (await etcd.admin.get("/nothing").exec()).header.revision;
}

before(async () => {
  etcd = await startEtcd();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-upgrade-"));
  proj = path.join(work, "proj");
  fs.mkdirSync(proj);
  // The user's own SDK: the package takes it as a peer dependency.
  const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version;
  fs.writeFileSync(
    path.join(proj, "package.json"),
    JSON.stringify({ name: "fabric", version: "1.0.0", private: true, dependencies: { "@pulumi/pulumi": sdk } }),
  );
  fs.writeFileSync(path.join(proj, "driver.js"), DRIVER);
  pulumiRoot = path.dirname(pulumiBinDir());
});
after(async () => {
  await etcd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("upgrading the package", { concurrency: false }, () => {
  it("bumping the version and reinstalling shows no changes, and the new implementation runs", async () => {
    const v1 = packedTarball();
    install(v1);
    assert.deepEqual(pulumi("up"), { create: 4 });
    assert.equal(Object.keys(await etcd.admin.getAll().prefix(PEER_PREFIX).keys()).length, 4);
    const before = pulumi("export");
    // Installed under node_modules, the provider is serialized as a require of the package's shim.
    const texts = providerTexts(before);
    assert.equal(texts.length, 6);
    for (const t of texts) {
      assert.match(t, /require\("pulumi-calico-bgppeer\/(set-)?shim"\)/);
      assert.ok(t.length < 400, `__provider is ${t.length} bytes`);
    }

    // The next release: the same code plus a line that records which version's implementation ran.
    const next = path.join(work, "next");
    fs.mkdirSync(next);
    sh("tar", ["-xzf", v1, "-C", next], work);
    const src = path.join(next, "package");
    const manifest = JSON.parse(fs.readFileSync(path.join(src, "package.json"), "utf8"));
    const version = manifest.version.replace(/\d+$/, (n: string) => String(Number(n) + 1));
    fs.writeFileSync(path.join(src, "package.json"), JSON.stringify({ ...manifest, version }, null, 2));
    fs.appendFileSync(
      path.join(src, "dist/provider/dynamic/peer-provider.js"),
      `\nif (process.env.BGPPEER_TEST_MARKER) require("fs").writeFileSync(process.env.BGPPEER_TEST_MARKER, require("../../../package.json").version);\n`,
    );
    const v2 = npmPack(src, work, { ignoreScripts: true });
    assert.notEqual(path.basename(v2), path.basename(v1));
    install(v2);
    assert.equal(JSON.parse(fs.readFileSync(path.join(proj, "node_modules/pulumi-calico-bgppeer/package.json"), "utf8")).version, version);

    const rev = await revision();
    const pv = pulumi("preview");
    assert.deepEqual(pv.changes, { same: 4 }, pv.stdout);
    assert.equal(fs.readFileSync(marker(), "utf8"), version, "the engine ran the upgraded implementation");
    assert.deepEqual(pulumi("refresh"), { same: 4 });
    assert.deepEqual(pulumi("up"), { same: 4 });
    assert.equal(await revision(), rev, "the upgrade wrote nothing to etcd");
    assert.deepEqual(providerTexts(pulumi("export")), providerTexts(before), "the serialized provider is the same text in both versions");
    assert.deepEqual(pulumi("destroy"), { delete: 4 });
    assert.equal(Object.keys(await etcd.admin.getAll().prefix(PEER_PREFIX).keys()).length, 0);
  });

  it("a stack made by release 0.1.0 (the flat provider/ layout) refreshes and updates with this one with no diff and no write", async () => {
    // 0.1.0 as packed at commit 681e778, before provider/ was split into layers: its state holds
    // require("pulumi-calico-bgppeer/shim") and /set-shim, which must resolve to the moved modules.
    // An empty stack first, whatever the test before left.
    pulumi("destroy");
    install(RELEASE_0_1_0);
    assert.equal(JSON.parse(fs.readFileSync(path.join(proj, "node_modules/pulumi-calico-bgppeer/package.json"), "utf8")).version, "0.1.0");
    assert.ok(fs.existsSync(path.join(proj, "node_modules/pulumi-calico-bgppeer/dist/provider/impl.js")), "the old layout is installed");
    assert.deepEqual(pulumi("up"), { create: 4 });
    const before = pulumi("export");
    install(packedTarball());
    assert.ok(fs.existsSync(path.join(proj, "node_modules/pulumi-calico-bgppeer/dist/provider/dynamic/peer-provider.js")), "the new layout is installed");
    const rev = await revision();
    const pv = pulumi("preview");
    assert.deepEqual(pv.changes, { same: 4 }, pv.stdout);
    assert.deepEqual(pulumi("refresh"), { same: 4 });
    assert.deepEqual(pulumi("up"), { same: 4 });
    assert.equal(await revision(), rev, "nothing was written to etcd");
    const after = pulumi("export");
    assert.deepEqual(providerTexts(after), providerTexts(before), "the serialized providers did not change");
    const state = (d: any) =>
      d.resources
        .filter((r: any) => /:(BgpPeer|BgpPeerSet)$/.test(r.type))
        .map((r: any) => [r.urn, r.inputs, r.outputs])
        .sort((a: any, b: any) => (a[0] < b[0] ? -1 : 1));
    assert.deepEqual(state(after), state(before), "every peer's and set's inputs and outputs are as 0.1.0 recorded them");
    assert.deepEqual(pulumi("destroy"), { delete: 4 });
    assert.equal(Object.keys(await etcd.admin.getAll().prefix(PEER_PREFIX).keys()).length, 0);
  });
});
