import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { BgpPeer, type BgpPeerArgs } from "../../provider";
import { peerKey } from "../../provider/model/codec";
import { OWNER_ANNOTATION } from "../../provider/model/keys";
import { type Calicoctl, calicoctlFor } from "../harness/calicoctl";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { type LocalStack, localStack } from "../harness/pulumi";
import { asInput, DOCS, FILTERS, nameOf, OURS } from "./peers";

/**
 * Round trips with the real calicoctl (v3.31, built by scripts/tools.js) on one etcd: peers that
 * BgpPeer writes, read and changed by calicoctl, and peers that calicoctl writes, adopted and read
 * by BgpPeer under the real Pulumi CLI.
 */
let etcd: TestEtcd;
let ctl: Calicoctl;
let ls: LocalStack;
let peers: Record<string, BgpPeerArgs> = {};

async function program() {
  const out: Record<string, unknown> = {};
  for (const [name, args] of Object.entries(peers)) out[name] = new BgpPeer(name, args).resourceVersion;
  return out;
}
async function raw(name: string): Promise<string | null> {
  return etcd.admin.get(peerKey(name)).string();
}
async function stored(name: string): Promise<any> {
  return JSON.parse((await raw(name))!);
}
async function revision(): Promise<string> {
  return (await etcd.admin.get("/nothing").exec()).header.revision;
}
async function outputs(resource: string): Promise<any> {
  const st = await ls.stack.exportStack();
  return st.deployment.resources.find((r: any) => r.urn.endsWith(`::${resource}`))?.outputs;
}

before(async () => {
  etcd = await startEtcd();
  ctl = calicoctlFor(etcd.endpoint);
  ls = await localStack("interop", program, { ETCD_ENDPOINTS: etcd.endpoint });
  ctl.ok(["create", "-f", "-"], FILTERS);
});
after(async () => {
  await etcd?.stop();
  ctl?.cleanup();
  ls?.cleanup();
});

describe("ours → calicoctl", { concurrency: false }, () => {
  it("calicoctl get shows the spec and metadata we wrote, for peers of every kind", async () => {
    peers = { ...OURS };
    const up = await ls.stack.up();
    assert.equal(up.summary.result, "succeeded");
    for (const res of Object.keys(OURS)) {
      const name = nameOf(res);
      const got = ctl.getPeer(name);
      const value = await stored(name);
      const outs = await outputs(res);
      assert.equal(got.kind, "BGPPeer");
      assert.equal(got.metadata.name, name);
      assert.deepEqual(got.spec, value.spec, `${name}: calicoctl reads the spec we stored`);
      assert.equal(got.metadata.uid, outs.uid);
      assert.equal(got.metadata.resourceVersion, outs.resourceVersion);
      assert.equal(new Date(got.metadata.creationTimestamp).toISOString(), new Date(outs.creationTimestamp).toISOString());
      assert.deepEqual(got.metadata.labels, value.metadata.labels);
      assert.deepEqual(got.metadata.annotations, value.metadata.annotations);
    }
    // Spot checks against what the user declared, as calicoctl prints it.
    assert.deepEqual(ctl.getPeer("rack1-host1.10-1-0-1").spec, { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 4227858433 });
    assert.deepEqual(ctl.getPeer("10-0-0-100").spec, { peerIP: "10.0.0.100", asNumber: 64512 });
    assert.equal(ctl.getPeer("rr-v6").spec.peerIP, "2001:DB8::100");
    for (const res of ["addr-v6-upper", "addr-v4-mapped", "addr-port-zeros", "addr-bracket-v4"]) {
      assert.equal((await stored(res)).spec.peerIP, OURS[res].peerIP, `${res}: stored as typed`);
    }
    assert.equal((await stored("addr-reach-v6")).spec.reachableBy, "2001:DB8::FE");
    assert.equal(ctl.getPeer("tor-port-v6").spec.peerIP, "[2001:db8::2]:1179");
    assert.equal(ctl.getPeer("rr-mesh").spec.peerSelector, "has(rr)&&rack=='r1'");
    const full = ctl.getPeer("edge-full");
    assert.deepEqual(full.spec, {
      nodeSelector: "has(edge)",
      peerIP: "10.3.0.1",
      asNumber: 64999,
      localASNumber: 65541,
      nextHopMode: "Self",
      password: { secretKeyRef: { name: "bgp-secrets", key: "edge" } },
      sourceAddress: "None",
      maxRestartTime: "1m30s",
      numAllowedLocalASNumbers: 2,
      ttlSecurity: 1,
      reachableBy: "10.3.0.254",
      filters: ["f1", "f2"],
      reversePeering: "Manual",
    });
    // calicoctl reads the stack's mark beside the declared annotation.
    assert.deepEqual(full.metadata.annotations, { "example.com/owner": "net & ops <noc>", [OWNER_ANNOTATION]: "bgppeer-interop/interop" });
    assert.equal(ctl.getPeer("edge-keep").spec.password.secretKeyRef.optional, true);
    const wide = ctl.ok(["get", "bgppeers", "-o", "wide"]);
    // calicoctl prints ASNs in decimal, a nodeSelector in the NODE column, and 0 for no ASN.
    assert.match(wide, /rack1-host1\.10-1-0-1\s+10\.1\.0\.1\s+rack1-host1\s+4227858433\s/);
    assert.match(wide, /rr-mesh\s+!has\(rr\) && rack == 'r1'\s+0\s/);
    assert.match(wide, /10-0-0-100\s+10\.0\.0\.100\s+\(global\)\s+64512/);
  });

  it("what we write is byte for byte what calicoctl writes for the same peer", async () => {
    for (const res of Object.keys(OURS)) {
      const name = nameOf(res);
      const twin = `cc-${name}`.slice(0, 253);
      ctl.ok(["create", "-f", "-"], asInput(ctl.getPeer(name), twin));
      const theirs = (await raw(twin))!;
      const t = JSON.parse(theirs).metadata;
      const ours = (await stored(name)).metadata;
      const expected = theirs.replace(`"name":"${twin}"`, `"name":"${name}"`).replace(t.uid, ours.uid).replace(t.creationTimestamp, ours.creationTimestamp);
      assert.equal(await raw(name), expected, `${name}: our value differs from calicoctl's`);
      ctl.ok(["delete", "bgppeer", twin]);
    }
  });

  it("calicoctl apply changes a peer of ours; refresh sees it and up restores the declared spec", async () => {
    const before = ctl.getPeer("rr-v6");
    const doc = { ...before, spec: { ...before.spec, asNumber: 64513 } };
    ctl.ok(["apply", "-f", "-"], stringify(doc));
    assert.equal(ctl.getPeer("rr-v6").metadata.uid, before.metadata.uid, "apply keeps the uid");
    const pv = await ls.stack.preview({ refresh: true, diff: true });
    assert.match(pv.stdout, /~ asNumber\s*:\s*64513\s*=>\s*64512/);
    await ls.stack.refresh();
    assert.equal((await outputs("rr-v6")).asNumber, 64513);
    await ls.stack.up();
    assert.equal(ctl.getPeer("rr-v6").spec.asNumber, 64512);
  });

  it("calicoctl replace changes a peer of ours; refresh sees it", async () => {
    const cur = ctl.getPeer("rr-mesh");
    ctl.ok(["replace", "-f", "-"], stringify({ ...cur, spec: { ...cur.spec, peerSelector: "has(rr) && rack == 'r2'" } }));
    const r = await ls.stack.refresh();
    assert.equal(r.summary.resourceChanges?.update, 1);
    assert.equal((await outputs("rr-mesh")).peerSelector, "has(rr) && rack == 'r2'");
    await ls.stack.up();
    assert.equal(ctl.getPeer("rr-mesh").spec.peerSelector, "has(rr)&&rack=='r1'");
  });

  it("calicoctl label: foreign labels survive our writes, and an overwritten managed label shows as drift", async () => {
    ctl.ok(["label", "bgppeers", "edge-full", "rack=r9"]);
    const rf = await ls.stack.refresh();
    assert.deepEqual(rf.summary.resourceChanges, { same: Object.keys(OURS).length + 1 }, "a label we do not manage is not drift");
    peers["edge-full"] = { ...OURS["edge-full"], labels: { tier: "edge2" } };
    await ls.stack.up();
    assert.deepEqual(ctl.getPeer("edge-full").metadata.labels, { rack: "r9", tier: "edge2" });
    ctl.ok(["label", "bgppeers", "edge-full", "tier=core", "--overwrite"]);
    await ls.stack.refresh();
    assert.deepEqual((await outputs("edge-full")).labels, { tier: "core" });
    await ls.stack.up();
    assert.deepEqual(ctl.getPeer("edge-full").metadata.labels, { rack: "r9", tier: "edge2" });
  });

  it("calicoctl delete removes a peer of ours; refresh drops it and up re-creates it", async () => {
    ctl.ok(["delete", "bgppeer", "local-speaker"]);
    const r = await ls.stack.refresh();
    assert.equal(r.summary.resourceChanges?.delete, 1);
    await ls.stack.up();
    assert.equal(ctl.getPeer("local-speaker").spec.localWorkloadSelector, "app == 'bgp-speaker'");
  });

  it("keepaliveTime, which calicoctl v3.31 predates: calicoctl reads the peer, and its apply drops the field, which refresh shows", async () => {
    peers["edge-keep"] = { ...OURS["edge-keep"], keepaliveTime: "30s" };
    await ls.stack.up();
    assert.equal((await stored("edge-keep")).spec.keepaliveTime, "30s");
    const got = ctl.getPeer("edge-keep");
    assert.equal(got.spec.keepaliveTime, undefined);
    ctl.ok(["apply", "-f", "-"], stringify(got));
    assert.equal((await stored("edge-keep")).spec.keepaliveTime, undefined);
    const pv = await ls.stack.preview({ refresh: true, diff: true });
    assert.match(pv.stdout, /\+ keepaliveTime\s*:\s*"30s"/);
    await ls.stack.refresh();
    await ls.stack.up();
    assert.equal((await stored("edge-keep")).spec.keepaliveTime, "30s");
  });
});

describe("calicoctl → ours", { concurrency: false }, () => {
  // As users write them for calicoctl: dotted and decimal-string ASNs, upper-case IPv6, unspaced
  // selectors, durations in their own units, ports, passwords, filters, labels, annotations.

  it("peers created by calicoctl create and apply are adopted without a write, and the next preview shows no changes", async () => {
    const [created, applied] = [DOCS.slice(0, 4), DOCS.slice(4)];
    ctl.ok(["create", "-f", "-"], created.map((d) => stringify(d)).join("---\n"));
    ctl.ok(["apply", "-f", "-"], applied.map((d) => stringify(d)).join("---\n"));
    const rev = await revision();
    const adopted: Record<string, BgpPeerArgs> = {};
    for (const d of DOCS)
      adopted[`adopt-${d.metadata.name}`] = {
        name: d.metadata.name,
        ...(d.spec as object),
        labels: (d.metadata as any).labels,
        annotations: (d.metadata as any).annotations,
        adopt: true,
      } as BgpPeerArgs;
    peers = { ...peers, ...adopted };
    const up = await ls.stack.up();
    assert.equal(up.summary.resourceChanges?.create, DOCS.length);
    assert.equal(await revision(), rev, "adopting peers equal to the program writes nothing");
    for (const d of DOCS) {
      const outs = await outputs(`adopt-${d.metadata.name}`);
      assert.equal(outs.uid, ctl.getPeer(d.metadata.name).metadata.uid, `${d.metadata.name}: keeps calicoctl's uid`);
    }
    const pv = await ls.stack.preview({ diff: true });
    assert.deepEqual(pv.changeSummary, { same: Object.keys(peers).length + 1 }, pv.stdout);
    const rf = await ls.stack.refresh();
    assert.deepEqual(rf.summary.resourceChanges, { same: Object.keys(peers).length + 1 });
    assert.equal(await revision(), rev);
    const full = await outputs("adopt-cc-full");
    assert.equal(full.maxRestartTime, "1h0m0s");
    assert.equal(full.localASNumber, 65542);
    assert.equal((await outputs("adopt-cc-global-v6")).peerIP, "2001:db8::30");
  });

  it("an adopted peer changed by the program is written so that calicoctl reads the change, keeping its uid", async () => {
    const uid = ctl.getPeer("cc-full").metadata.uid;
    peers["adopt-cc-full"] = { ...peers["adopt-cc-full"], ttlSecurity: 2 };
    await ls.stack.up();
    const got = ctl.getPeer("cc-full");
    assert.equal(got.spec.ttlSecurity, 2);
    assert.equal(got.metadata.uid, uid);
    // The write that changed it marked it as this stack's.
    assert.deepEqual(got.metadata.annotations, { note: "owned by <noc> & friends", [OWNER_ANNOTATION]: "bgppeer-interop/interop" });
  });

  it("destroy deletes our peers and the adopted ones; calicoctl lists none", async () => {
    await ls.stack.destroy();
    assert.deepEqual(parse(ctl.ok(["get", "bgppeers", "-o", "yaml"])).items, []);
  });
});
