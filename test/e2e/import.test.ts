import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { PEER_PREFIX, peerKey } from "../../provider/model/keys";
import { type Calicoctl, calicoctlFor } from "../harness/calicoctl";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { irregularFabric } from "../harness/fabric";
import { PULUMI_TEMPLATE_TSCONFIG, packedTarball, type UserProject, userProject } from "../harness/project";

/**
 * `calico-bgppeer import` as a user runs it, on an irregular fabric of about 1,000 peers that
 * calicoctl wrote (test/harness/fabric.ts): the module (RackPeers per rack, BgpPeerSets, BgpPeers
 * for the rest) compiles with tsc --strict, and its first `pulumi up` takes every peer into state
 * without a single etcd write; the next preview and refresh show nothing. Then the move of a stack
 * that holds a per-peer import (--per-peer, one BgpPeer each) into the grouped module, with no write.
 */
let etcd: TestEtcd;
let ctl: Calicoctl;
let work: string;
let p: UserProject;

const FABRIC = irregularFabric(1000);

/** The fabric, and one more peer whose annotations go-yaml quotes or folds in every way. */
function fabric(): object[] {
  const docs: object[] = [...FABRIC.docs];
  const peer = (name: string, spec: object, metadata: object = {}) =>
    docs.push({ apiVersion: "projectcalico.org/v3", kind: "BGPPeer", metadata: { name, ...metadata }, spec });
  // Strings go-yaml quotes or folds: -o yaml must match calicoctl's quoting and line breaks.
  const tricky = ["true", "yes", "NO", "on", "1e3", "0x1F", "0o17", "1_000", "12:30", "1:2:3", "2026-11-29T16:09:09Z", ".inf", "+1", "null", "~", "-"];
  const special = [
    "x: y",
    "[a]",
    "{b}",
    "@x",
    "%y",
    "!z",
    "|p",
    ">q",
    "?r",
    ",s",
    "trailing ",
    " lead",
    "a #b",
    "&a",
    "*x",
    "it's",
    'say "hi"',
    "line1\nline2",
    "a\tb",
    "é€",
    "",
  ];
  const long = "[quoted] and a long string with spaces that needs single quotes and folding beyond eighty columns wide";
  peer(
    "quoting",
    { nodeSelector: "rack == 'rack1' && has(route-reflector) && role in {'a', 'b', 'c', 'd'} && zone != 'x'", peerSelector: "has(route-reflector)" },
    { annotations: { ...Object.fromEntries([...tricky, ...special].map((v, i) => [`k${i}`, v])), long, plainLong: long.slice(9) } },
  );
  return docs;
}
const PEERS = FABRIC.peers + 1;

/** The README's first step of moving per-peer BgpPeers into sets: every BgpPeer retained on delete. */
const MOVE_STEP_ONE = `import * as pulumi from "@pulumi/pulumi";

pulumi.runtime.registerStackTransformation(({ type, props, opts }) =>
  type === "pulumi-nodejs:dynamic/calico:BgpPeer" ? { props, opts: { ...opts, retainOnDelete: true } } : undefined,
);
`;

async function revision(): Promise<bigint> {
  return BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
}
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return p.run("npx", ["--no-install", "calico-bgppeer", ...args], { ETCD_ENDPOINTS: etcd.endpoint, ...env });
}

before(async () => {
  etcd = await startEtcd();
  ctl = calicoctlFor(etcd.endpoint, 600_000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-import-"));
  const file = path.join(work, "fabric.yaml");
  fs.writeFileSync(
    file,
    fabric()
      .map((d) => `---\n${stringify(d)}`)
      .join(""),
  );
  ctl.ok(["apply", "-f", file]);
  p = userProject(work, "imported", {
    dependencies: { "pulumi-calico-bgppeer": `file:${packedTarball()}`, "@pulumi/pulumi": "3.248.0", typescript: "5.9.3", "@types/node": "20.19.25" },
    files: {
      "tsconfig.json": JSON.stringify({ ...PULUMI_TEMPLATE_TSCONFIG, include: ["*.ts"] }, null, 2),
      "index.ts": 'import "./peers";\n',
    },
  });
});
after(async () => {
  ctl?.cleanup();
  await etcd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("calico-bgppeer, installed in a user's project", { concurrency: false }, () => {
  it("get prints what calicoctl prints, in every output format", () => {
    for (const o of ["wide", "yaml", "json"]) {
      const ours = cli(["get", "bgppeers", "-o", o]);
      assert.equal(ours.status, 0, ours.stderr);
      assert.equal(ours.stdout, ctl.ok(["get", "bgppeers", "-o", o]), `-o ${o} of ${PEERS} peers`);
    }
    for (const names of [["rr-v6"], ["ported", "rr-mesh"]]) {
      for (const o of ["ps", "yaml", "json"]) assert.equal(cli(["get", "bp", ...names, "-o", o]).stdout, ctl.ok(["get", "bp", ...names, "-o", o]));
    }
    const byNode = cli(["get", "BGPPeer", "--node", "rack2-host8"]);
    assert.equal(byNode.stdout.trim().split("\n").length, 3, byNode.stdout);
    const bySelector = cli(["get", "bgpps", "-l", "rack in {'rack2', 'rack5'}", "-o", "json"]);
    const inRacks = (FABRIC.docs as any[]).filter((d) => d.kind === "BGPPeer" && ["rack2", "rack5"].includes(d.metadata.labels?.rack)).length;
    assert.ok(inRacks > 0);
    assert.equal(JSON.parse(bySelector.stdout).items.length, inRacks);
  });

  it("import makes a RackPeers per rack, a BgpPeerSet per other rack or group and a BgpPeer per peer left; it compiles, and its first up writes nothing", async (t) => {
    p.ok(["stack", "init", "grouped"]);
    p.ok(["config", "set", "calico:etcdEndpoints", etcd.endpoint]);
    const r = cli(["import", "--out", "peers.ts"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`wrote ${PEERS} peer\\(s\\) to peers.ts`));
    const text = fs.readFileSync(path.join(p.dir, "peers.ts"), "utf8");
    const { racks, sets, singles } = FABRIC.expect;
    assert.equal(text.match(/= new RackPeers\(/g)?.length, racks, "a RackPeers per rack");
    assert.equal(text.match(/= new BgpPeerSet\(/g)?.length, sets, "a BgpPeerSet per other rack or group");
    assert.equal(text.match(/= new BgpPeer\(/g)?.length, singles + 1, "a BgpPeer per peer left");
    // Natural order, stable readable names, the ToR forms the fabric has.
    assert.match(text, /racks\["rack1"\] = new RackPeers\("rack1", \{\n {2}hosts: \[\n {4}"rack1-host1", "rack1-host2",/);
    assert.match(text, /"rack1-host6",\s+"rack1-host8",\s+"rack1-host9",\s+"rack1-host10",/);
    assert.match(text, /racks\["rack3\.dc2\.example\.com"\] = new RackPeers/);
    assert.match(text, /\{ ip: "2001:DB8:3::1", asNumber: 65003 \}/);
    // A rack that RackPeers cannot say is one BgpPeerSet, named for its nodes, with a group per ToR.
    assert.match(text, /sets\["r4"\] = new BgpPeerSet\("r4", \{\n {2}peers: \[\n {4}\.\.\.nodePeers\(\{ peerIP: "\[2001:db8:4::a\]:1790", asNumber: 262145,/);
    assert.match(text, /\n {4}\]\),\n {4}\.\.\.nodePeers\(\{ peerIP: "\[2001:db8:4::b\]:1790", asNumber: 262146,/);
    assert.match(text, /sets\["rack7\.dc2\.example\.com"\] = new BgpPeerSet/);
    assert.ok(text.indexOf('racks["rack2"]') < text.indexOf('racks["rack10"]'), "racks in natural order");
    assert.ok(text.split("\n").length < 800, `${text.split("\n").length} lines for ${PEERS} peers`);
    t.diagnostic(`module: ${text.split("\n").length} lines, ${racks} RackPeers, ${sets} BgpPeerSets, ${singles + 1} BgpPeers for ${PEERS} peers`);
    // The same fabric gives the same module.
    assert.equal(cli(["import"]).stdout, text);
    const tsc = p.run("npx", ["--no-install", "tsc", "--noEmit", "-p", "."]);
    assert.equal(tsc.status, 0, `tsc --strict:\n${tsc.stdout}${tsc.stderr}`);

    const r0 = await revision();
    const t0 = Date.now();
    p.ok(["up", "--yes"]);
    t.diagnostic(`first up of the grouped module: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(await revision(), r0, "no etcd write");
    const resources = JSON.parse(p.ok(["stack", "export"])).deployment.resources;
    const setsInState = resources.filter((x: any) => x.type === "pulumi-nodejs:dynamic/calico:BgpPeerSet");
    const peersInState = resources.filter((x: any) => x.type === "pulumi-nodejs:dynamic/calico:BgpPeer");
    assert.equal(setsInState.length, racks + sets);
    assert.equal(peersInState.length, singles + 1);
    assert.equal(setsInState.reduce((n: number, x: any) => n + Object.keys(x.outputs.peers).length, 0) + peersInState.length, PEERS, "every peer in state");
    p.ok(["preview", "--expect-no-changes"]);
    p.ok(["refresh", "--yes", "--expect-no-changes"]);
    assert.equal(await revision(), r0, "still no etcd write");
    // Let go of the stack without touching the peers, for the next test to import them again.
    p.ok(["stack", "rm", "grouped", "--force", "--yes"]);
  });

  it(`a stack of ${PEERS} per-peer BgpPeers (--per-peer) moves into the grouped module with no write: retainOnDelete in one up, the grouped module in the next`, async (t) => {
    p.ok(["stack", "init", "per-peer"]);
    p.ok(["config", "set", "calico:etcdEndpoints", etcd.endpoint]);
    // The grouped module is there: --out replaces it only with --force.
    const grouped = fs.readFileSync(path.join(p.dir, "peers.ts"), "utf8");
    const refused = cli(["import", "--per-peer", "--out", "peers.ts"]);
    assert.equal(refused.status, 1);
    assert.equal(refused.stderr, "--out peers.ts: the file exists; calico-bgppeer import replaces it only with --force. Nothing was generated.\n");
    assert.equal(fs.readFileSync(path.join(p.dir, "peers.ts"), "utf8"), grouped);
    const r = cli(["import", "--per-peer", "--out", "peers.ts", "--force"]);
    assert.equal(r.status, 0, r.stderr);
    const text = fs.readFileSync(path.join(p.dir, "peers.ts"), "utf8");
    assert.match(text, /for \(const node of nodes1\) \{/);
    assert.doesNotMatch(text, /RackPeers|BgpPeerSet/);
    const tsc = p.run("npx", ["--no-install", "tsc", "--noEmit", "-p", "."]);
    assert.equal(tsc.status, 0, `tsc --strict:\n${tsc.stdout}${tsc.stderr}`);
    const r0 = await revision();
    let t0 = Date.now();
    p.ok(["up", "--yes"]);
    t.diagnostic(`first up of the per-peer module: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(await revision(), r0, "no etcd write");
    const perPeer = () => JSON.parse(p.ok(["stack", "export"])).deployment.resources.filter((x: any) => x.type === "pulumi-nodejs:dynamic/calico:BgpPeer");
    assert.equal(perPeer().length, PEERS);

    // Step 1, as the README gives it: retainOnDelete on every BgpPeer, from one transform.
    p.write("retain.ts", MOVE_STEP_ONE);
    p.write("index.ts", 'import "./retain";\nimport "./peers";\n');
    t0 = Date.now();
    p.ok(["up", "--yes"]);
    t.diagnostic(`step 1 (retainOnDelete): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(await revision(), r0, "step 1 wrote nothing");
    assert.ok(
      perPeer().every((x: any) => x.retainOnDelete === true),
      "every BgpPeer is retained on delete",
    );

    // Step 2: the grouped module, without the transform.
    fs.rmSync(path.join(p.dir, "retain.ts"));
    p.write("index.ts", 'import "./peers";\n');
    assert.equal(cli(["import", "--out", "peers.ts", "--force"]).status, 0);
    t0 = Date.now();
    p.ok(["up", "--yes"]);
    t.diagnostic(`step 2 (the grouped module): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(await revision(), r0, "step 2 wrote nothing");
    const all = await etcd.admin.getAll().prefix(PEER_PREFIX).keys();
    assert.equal(all.length, PEERS, "every peer is still in etcd");
    const resources = JSON.parse(p.ok(["stack", "export"])).deployment.resources;
    assert.equal(resources.filter((x: any) => x.type === "pulumi-nodejs:dynamic/calico:BgpPeerSet").length, FABRIC.expect.racks + FABRIC.expect.sets);
    assert.equal(perPeer().length, FABRIC.expect.singles + 1);
    p.ok(["preview", "--expect-no-changes"]);
    p.ok(["refresh", "--yes", "--expect-no-changes"]);
    assert.equal(await revision(), r0, "still no etcd write");
  });

  it("fails with a clear message and exit code 1, writing nothing, on a bad selector, an unreadable value or no etcd", async () => {
    const bad = cli(["get", "bp", "-l", "rack =="]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--selector: "rack ==" is not a valid Calico selector/);
    const word = cli(["get", "bgpfilters"]);
    assert.equal(word.status, 1);
    assert.match(word.stderr, /resource type 'bgpfilters' is not supported/);
    await etcd.admin.put(peerKey("broken")).value("{not json");
    const r0 = await revision();
    const imp = cli(["import"]);
    assert.equal(imp.status, 1);
    assert.match(
      imp.stderr,
      /the value stored at \/calico\/resources\/v3\/projectcalico.org\/bgppeers\/broken is not a BGPPeer Calico can read .*\nNothing was generated\./,
    );
    assert.equal(imp.stdout, "");
    const get = cli(["get", "bp", "-o", "wide"]);
    assert.equal(get.status, 1, "get lists the readable peers and fails for the rest");
    assert.match(get.stderr, /bgppeers\/broken is not a BGPPeer Calico can read/);
    assert.equal(await revision(), r0);
    const down = cli(["get", "bp"], { ETCD_ENDPOINTS: "http://127.0.0.1:9", ETCD_TIMEOUT: "1" });
    assert.equal(down.status, 1);
    assert.match(down.stderr, /cannot reach etcd http:\/\/127\.0\.0\.1:9 \(from environment\)/);
  });
});
