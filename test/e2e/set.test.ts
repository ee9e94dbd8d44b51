import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { filterKey, PEER_PREFIX, peerKey } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { packedTarball, type UserProject, userProject } from "../harness/project";

/**
 * RackPeers (a BgpPeerSet) in a user's project, driven by the plain `pulumi` CLI: peers moved in
 * from BgpPeer resources without a write, an up of 140 peers in two transactions, the diff a
 * reviewer reads, drift, a conflict, a failed chunk and the rerun that converges, and destroy.
 */
let etcd: TestEtcd;
let work: string;
let p: UserProject;

// 70 hosts and 2 ToRs: 140 peers, more than one transaction takes (128). rack1 is a RackPeers,
// or, once a host's peers must name a BGPFilter, a BgpPeerSet of the same peers.
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BgpPeer, BgpPeerSet, RackPeers } = require("pulumi-calico-bgppeer");
const cfg = new pulumi.Config();
const hostsOf = (rack, n) => Array.from({ length: n }, (_, i) => \`\${rack}-host\${i + 1}\`);
const hosts = hostsOf("rack1", cfg.getNumber("hosts") ?? 70);
const tors = [{ ip: "10.1.0.1", asNumber: cfg.getNumber("asn") ?? 65001 }, { ip: "10.1.0.2", asNumber: 65001 }];
const labels = { rack: cfg.get("label") ?? "rack1" };
const adopt = cfg.getBoolean("adopt") ?? false;
const filtered = cfg.get("filteredHost");
const entries = (hs, ts, filtered, filter) =>
  hs.flatMap((node) => ts.map((t) => ({ scope: "node", node, peerIP: t.ip, asNumber: t.asNumber, labels, ...(node === filtered ? { filters: [filter] } : {}) })));
if (cfg.get("mode") === "peers") {
  // The same peers, one BgpPeer each (seed terms give the same Calico names).
  for (const e of entries(hosts, tors, filtered, "edge"))
    new BgpPeer(\`\${e.node}-\${e.peerIP}\`, { ...e, adopt }, { retainOnDelete: cfg.getBoolean("retain") ?? false });
} else {
  const opts = { retainOnDelete: cfg.getBoolean("retain") ?? false };
  const rack = filtered
    ? new BgpPeerSet("rack1", { peers: entries(hosts, tors, filtered, "edge"), adopt }, opts)
    : new RackPeers("rack1", { hosts, tors, peer: { labels }, adopt }, opts);
  exports.count = rack.peers.apply((m) => Object.keys(m).length);
  if (cfg.getBoolean("rack2")) {
    // rack2-host70 sorts after 128 of the 140 peers: its peers, which name a BGPFilter, are in the second transaction.
    const t2 = [{ ip: "10.2.0.1", asNumber: 65002 }, { ip: "10.2.0.2", asNumber: 65002 }];
    new BgpPeerSet("rack2", { peers: entries(hostsOf("rack2", 70), t2, "rack2-host70", "edge2") });
  }
}
`;

async function stored(): Promise<Record<string, any>> {
  const kvs = await etcd.admin.getAll().prefix(PEER_PREFIX).strings();
  return Object.fromEntries(Object.entries(kvs).map(([k, v]) => [k.slice(PEER_PREFIX.length), JSON.parse(v)]));
}
async function revision(): Promise<bigint> {
  return BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
}
function setsInState(): any[] {
  const d = JSON.parse(p.ok(["stack", "export"])).deployment;
  return (d.resources ?? []).filter((r: any) => r.type === "pulumi-nodejs:dynamic/calico:BgpPeerSet");
}
function peersInState(): number {
  const d = JSON.parse(p.ok(["stack", "export"])).deployment;
  return (d.resources ?? []).filter((r: any) => r.type === "pulumi-nodejs:dynamic/calico:BgpPeer").length;
}
function config(values: Record<string, string | number | boolean | undefined>): void {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) p.pulumi(["config", "rm", k]);
    else p.ok(["config", "set", k, String(v)]);
  }
}
/** A CLI run that must succeed: its stdout and stderr (with --diff, the CLI writes diagnostics to stderr). */
function output(args: string[]): string {
  const r = p.pulumi(args);
  assert.equal(r.status, 0, `pulumi ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}
const FILTER = (name: string) =>
  JSON.stringify({
    kind: "BGPFilter",
    apiVersion: "projectcalico.org/v3",
    metadata: { name, uid: `uid-${name}`, creationTimestamp: "2026-11-29T00:00:00Z" },
    spec: {},
  });

before(async () => {
  etcd = await startEtcd();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-set-"));
  p = userProject(work, "racks", {
    dependencies: { "@pulumi/pulumi": "3.248.0", "pulumi-calico-bgppeer": `file:${packedTarball()}` },
    files: { "index.js": PROGRAM },
  });
  p.ok(["stack", "init", "dev"]);
  p.ok(["config", "set", "calico:etcdEndpoints", etcd.endpoint]);
});
after(async () => {
  await etcd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("RackPeers under the plain CLI", { concurrency: false }, () => {
  it("takes over peers that BgpPeer resources manage, without an etcd write", async () => {
    config({ mode: "peers", hosts: 10 });
    p.ok(["up", "--yes"]);
    assert.equal(Object.keys(await stored()).length, 20);
    // Step 1: retainOnDelete, so that dropping the BgpPeers from the program leaves their objects.
    config({ retain: true });
    const r0 = await revision();
    p.ok(["up", "--yes"]);
    assert.equal(await revision(), r0, "setting retainOnDelete writes nothing");
    // Step 2: the set, with adopt, in their place.
    config({ mode: undefined, retain: undefined, adopt: true });
    const before = await stored();
    p.ok(["up", "--yes"]);
    assert.equal(await revision(), r0, "the set adopts equal peers without a write (revision delta 0)");
    assert.deepEqual(await stored(), before);
    assert.equal(peersInState(), 0);
    const [set] = setsInState();
    assert.equal(Object.keys(set.outputs.peers).length, 20);
    assert.equal(set.outputs.stored["rack1-host1.10-1-0-1"].uid, before["rack1-host1.10-1-0-1"].metadata.uid, "the uid is kept");
    p.ok(["preview", "--expect-no-changes"]);
  });

  it("grows to 140 peers, each what a BgpPeer writes, and shows a reviewer each changed field", async () => {
    config({ hosts: undefined, adopt: undefined });
    const r0 = await revision();
    p.ok(["up", "--yes"]);
    const now = await stored();
    assert.equal(Object.keys(now).length, 140);
    assert.equal(await revision(), r0 + 1n, "120 new peers: one transaction");
    const v = now["rack1-host7.10-1-0-2"];
    assert.deepEqual(Object.keys(v), ["kind", "apiVersion", "metadata", "spec"]);
    assert.deepEqual(v.spec, { node: "rack1-host7", peerIP: "10.1.0.2", asNumber: 65001 });
    assert.deepEqual(v.metadata.labels, { rack: "rack1" });
    const r1 = await revision();
    p.ok(["up", "--yes", "--expect-no-changes"]);
    assert.equal(await revision(), r1, "an up without changes writes nothing");

    config({ asn: 65002 });
    const diff = output(["preview", "--diff"]);
    assert.match(diff, /~ peers\["rack1-host1\.10-1-0-1"\]\.asNumber: 65001 => 65002/, "the change list names the peer and the field");
    assert.match(diff, /BgpPeerSet "rack1": 70 change\(s\)/);
    assert.doesNotMatch(diff, /peers\["rack1-host1\.10-1-0-2"\]\.asNumber/, "unchanged peers are not in the change list");
    assert.match(diff, /~ asNumber: 65001 => 65002/, "the engine's own diff marks the field");
    const r2 = await revision();
    p.ok(["up", "--yes"]);
    assert.equal(await revision(), r2 + 1n, "70 updates: one transaction");
    assert.equal((await stored())["rack1-host70.10-1-0-1"].spec.asNumber, 65002);
    p.ok(["preview", "--expect-no-changes"]);
  });

  it("shows drift at preview --refresh, refuses to write over an unseen change, and applies the program after refresh", async () => {
    const key = peerKey("rack1-host5.10-1-0-1");
    const v = JSON.parse((await etcd.admin.get(key).string())!);
    v.spec.asNumber = 65099;
    await etcd.admin.put(key).value(JSON.stringify(v));
    const drift = output(["preview", "--refresh", "--diff"]);
    assert.match(drift, /~ peers\["rack1-host5\.10-1-0-1"\]\.asNumber: 65099 => 65002/);

    config({ asn: 65003 });
    const r0 = await revision();
    const r = p.pulumi(["up", "--yes"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /BgpPeerSet "rack1": 1 peer\(s\) were changed outside Pulumi: "rack1-host5\.10-1-0-1"/);
    assert.match(r.stdout + r.stderr, /Nothing was written/);
    assert.equal(await revision(), r0, "nothing was written");

    p.ok(["refresh", "--yes"]);
    p.ok(["up", "--yes"]);
    const now = await stored();
    assert.equal(now["rack1-host5.10-1-0-1"].spec.asNumber, 65003);
    assert.equal(now["rack1-host5.10-1-0-1"].metadata.uid, v.metadata.uid);
    p.ok(["preview", "--expect-no-changes"]);
  });

  it("a create whose second transaction fails removes the peers it created, and the rerun converges", async () => {
    config({ rack2: true });
    const r0 = await revision();
    const r = p.pulumi(["up", "--yes"]);
    assert.notEqual(r.status, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, /BgpPeerSet "rack2": BGPPeer "rack2-host70\.10-2-0-1": filters: BGPFilter "edge2" not found/);
    assert.match(out, /The 128 peer\(s\) this run had created were deleted again/);
    assert.equal(Object.keys(await stored()).filter((n) => n.startsWith("rack2-")).length, 0, "none of rack2's peers is left in etcd");
    assert.equal(await revision(), r0 + 2n, "one transaction created 128 peers, one deleted them again");
    await etcd.admin.put(filterKey("edge2")).value(FILTER("edge2"));
    p.ok(["up", "--yes"]);
    assert.equal(Object.keys(await stored()).filter((n) => n.startsWith("rack2-")).length, 140);
    p.ok(["preview", "--expect-no-changes"]);
    config({ rack2: undefined });
    p.ok(["up", "--yes"]);
    assert.equal(Object.keys(await stored()).filter((n) => n.startsWith("rack2-")).length, 0);
  });

  it("an update whose second transaction fails keeps the first, and the rerun recognizes it instead of calling it a conflict", async () => {
    await etcd.admin.put(filterKey("edge")).value(FILTER("edge"));
    config({ filteredHost: "rack1-host9" });
    const r0 = await revision();
    p.ok(["up", "--yes"]);
    assert.equal(await revision(), r0 + 1n, "RackPeers to BgpPeerSet of the same name: an update of the two peers that gain filters");
    assert.deepEqual((await stored())["rack1-host9.10-1-0-1"].spec.filters, ["edge"]);
    const names = Object.keys(setsInState()[0].outputs.peers).sort();
    assert.ok(names.indexOf("rack1-host9.10-1-0-1") >= 128, "rack1-host9's peers are in the second transaction");

    // Every peer changes; the BGPFilter rack1-host9's peers name is gone.
    await etcd.admin.delete().key(filterKey("edge"));
    config({ label: "r1" });
    const r1 = await revision();
    const r = p.pulumi(["up", "--yes"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /BGPFilter "edge" not found/);
    assert.match(r.stdout + r.stderr, /Transactions before it were applied; `pulumi up` again converges/);
    assert.equal(await revision(), r1 + 1n, "the first transaction (128 peers) landed");
    const partly = await stored();
    assert.equal(partly["rack1-host1.10-1-0-1"].metadata.labels.rack, "r1");
    assert.equal(partly["rack1-host9.10-1-0-1"].metadata.labels.rack, "rack1");

    await etcd.admin.put(filterKey("edge")).value(FILTER("edge"));
    const r2 = await revision();
    p.ok(["up", "--yes"]);
    assert.equal(await revision(), r2 + 1n, "the rerun writes only the 12 peers of the failed transaction");
    assert.equal((await stored())["rack1-host9.10-1-0-1"].metadata.labels.rack, "r1");
    p.ok(["preview", "--expect-no-changes"]);
  });

  it("hands its peers back to BgpPeer resources without an etcd write, and destroy removes them", async () => {
    config({ retain: true });
    const r0 = await revision();
    p.ok(["up", "--yes"]);
    config({ mode: "peers", retain: undefined, adopt: true });
    const before = await stored();
    p.ok(["up", "--yes"]);
    assert.equal(await revision(), r0, "retainOnDelete on the set, then BgpPeers with adopt: no write");
    assert.deepEqual(await stored(), before);
    assert.equal(setsInState().length, 0);
    assert.equal(peersInState(), 140);
    p.ok(["preview", "--expect-no-changes"]);
    p.ok(["destroy", "--yes"]);
    assert.deepEqual(await stored(), {});
  });
});
