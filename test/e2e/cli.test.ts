import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type { Stack } from "@pulumi/pulumi/automation";
import { BgpPeer, type BgpPeerArgs } from "../../provider";
import { PEER_PREFIX, peerKey } from "../../provider/model/codec";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { type LocalStack, localStack } from "../harness/pulumi";

/**
 * The real Pulumi CLI (built by scripts/tools.js and put on PATH by scripts/test.js) drives the
 * real engine, which starts the dynamic provider in its own process from the serialized shim.
 * The program is inline (Automation API), so the project directory is this repository.
 */
const PASSWORD = "e2e-Etcd-Pa55";
let peers: Record<string, BgpPeerArgs> = {};
let etcd: TestEtcd;
let stack: Stack;
let ls: LocalStack;

/** Error.stackTraceLimit after each constructor, which pauses the SDK's promise stacks (program/promise-stacks.ts) and must restore it. */
const limitsAfter: number[] = [];
async function program() {
  const out: Record<string, unknown> = {};
  for (const [name, args] of Object.entries(peers)) {
    out[name] = new BgpPeer(name, args).key;
    limitsAfter.push(Error.stackTraceLimit);
  }
  return out;
}
async function keys(): Promise<Record<string, Record<string, any>>> {
  const kvs = await etcd.admin.getAll().prefix(PEER_PREFIX).strings();
  return Object.fromEntries(Object.entries(kvs).map(([k, v]) => [k.slice(PEER_PREFIX.length), JSON.parse(v)]));
}
function pathsContaining(v: unknown, needle: string, at = "$"): string[] {
  if (typeof v === "string") return v.includes(needle) ? [at] : [];
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => pathsContaining(x, needle, `${at}.${k}`));
  return [];
}
async function revision() {
  return (await etcd.admin.get("/nothing").exec()).header.revision;
}

before(async () => {
  etcd = await startEtcd({ rootPassword: PASSWORD });
  ls = await localStack("e2e", program, { ETCD_ENDPOINTS: "" });
  stack = ls.stack;
  await stack.setConfig("calico:etcdEndpoints", { value: etcd.endpoint });
  await stack.setConfig("calico:etcdUsername", { value: "root" });
  await stack.setConfig("calico:etcdPassword", { value: PASSWORD, secret: true });
});
after(async () => {
  await etcd?.stop();
  ls?.cleanup();
});

describe("pulumi CLI end to end", { concurrency: false }, () => {
  it("up creates exactly the expected keys and values; a second preview shows no changes", async () => {
    peers = {
      "tor-a": { scope: "node", node: "rack1-host1", peerIP: "10.1.0.1", asNumber: "64512.1" },
      "rr-v6": { name: "rr-v6", peerIP: "2001:DB8::100", asNumber: 64512 },
      "rr-sel": { name: "rr-mesh", nodeSelector: "!has(rr)", peerSelector: "has(rr)", labels: { team: "net" } },
    };
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    const k = await keys();
    assert.deepEqual(Object.keys(k).sort(), ["rack1-host1.10-1-0-1", "rr-mesh", "rr-v6"]);
    assert.equal(up.outputs["tor-a"].value, peerKey("rack1-host1.10-1-0-1"), "the key output names the etcd key");
    assert.deepEqual(k["rack1-host1.10-1-0-1"].spec, { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 4227858433 });
    // Addresses are stored as typed, as calicoctl stores them.
    assert.deepEqual(k["rr-v6"].spec, { peerIP: "2001:DB8::100", asNumber: 64512 });
    assert.deepEqual(k["rr-mesh"].metadata.labels, { team: "net" });
    // Pulumi records the line that declared each resource. It must be the program's, not BgpPeer's
    // constructor (which a subclass of pulumi.dynamic.Resource would give).
    const st = await stack.exportStack();
    const recorded = st.deployment.resources.filter((r: any) => r.type === "pulumi-nodejs:dynamic/calico:BgpPeer");
    assert.equal(recorded.length, 3);
    for (const r of recorded) {
      assert.match(r.sourcePosition, /\/dist\/test\/e2e\/cli\.test\.js#\d+,\d+$/, `${r.urn} sourcePosition`);
      assert.match(r.stackTrace[0].sourcePosition, /cli\.test\.js/);
      assert.ok(!JSON.stringify(r.stackTrace).includes("/provider/program/bgp-peer.js"), `${r.urn} stackTrace names no frame of BgpPeer's module`);
    }
    // The constructors ran with the SDK's promise stacks paused, and left the limit as they found it.
    assert.ok(limitsAfter.length >= 3);
    assert.deepEqual(new Set(limitsAfter), new Set([Error.stackTraceLimit]));
    assert.ok(Error.stackTraceLimit > 0);
    const rev = await revision();
    const pv = await stack.preview();
    assert.deepEqual(pv.changeSummary, { same: 4 });
    assert.equal(await revision(), rev, "a no-op preview writes nothing");
  });

  it("preview --diff shows a field-level asNumber change, applied in place", async () => {
    const uid = (await keys())["rr-v6"].metadata.uid;
    peers["rr-v6"] = { ...peers["rr-v6"], asNumber: 64513 };
    const pv = await stack.preview({ diff: true });
    assert.match(pv.stdout, /~ asNumber\s*:\s*64512\s*=>\s*64513/);
    assert.deepEqual(pv.changeSummary, { same: 3, update: 1 });
    console.log(
      `preview --diff excerpt:\n${pv.stdout
        .split("\n")
        .filter((l) => /rr-v6|asNumber/.test(l))
        .join("\n")}`,
    );
    await stack.up();
    const after = (await keys())["rr-v6"];
    assert.equal(after.spec.asNumber, 64513);
    assert.equal(after.metadata.uid, uid, "updated in place");
  });

  it("renaming replaces the peer and the old key is gone", async () => {
    peers["rr-v6"] = { ...peers["rr-v6"], name: "rr-v6-a" };
    const up = await stack.up();
    assert.equal(up.summary.resourceChanges?.replace, 1);
    const k = await keys();
    assert.ok(k["rr-v6-a"]);
    assert.equal(k["rr-v6"], undefined);
  });

  it("an out-of-band edit shows in preview --refresh, refresh takes it in, up restores the spec", async () => {
    const v = (await keys())["rr-v6-a"];
    v.spec.asNumber = 65000;
    await etcd.admin.put(peerKey("rr-v6-a")).value(JSON.stringify(v));
    const pv = await stack.preview({ refresh: true, diff: true });
    assert.match(pv.stdout, /~ asNumber\s*:\s*65000\s*=>\s*64513/);
    await stack.refresh();
    const st = await stack.exportStack();
    const res = st.deployment.resources.find((r: any) => r.id === "rr-v6-a");
    assert.equal(res.outputs.asNumber, 65000);
    await stack.up();
    assert.equal((await keys())["rr-v6-a"].spec.asNumber, 64513);
  });

  it("an out-of-band delete: refresh drops the peer, up re-creates it", async () => {
    await etcd.admin.delete().key(peerKey("rr-mesh"));
    const r = await stack.refresh();
    assert.equal(r.summary.resourceChanges?.delete, 1);
    await stack.up();
    assert.ok((await keys())["rr-mesh"]);
  });

  it("an edit between refresh and up fails the update with the conflict error, leaving etcd untouched", async () => {
    await stack.refresh();
    const v = (await keys())["rr-mesh"];
    v.metadata.labels.team = "outside";
    await etcd.admin.put(peerKey("rr-mesh")).value(JSON.stringify(v));
    const before = await etcd.admin.get(peerKey("rr-mesh")).string();
    peers["rr-sel"] = { ...peers["rr-sel"], labels: { team: "net", tier: "rr" } };
    await assert.rejects(
      stack.up(),
      /BGPPeer "rr-mesh" was changed outside Pulumi: etcd has resourceVersion \d+, state has \d+\. Nothing was written\. Run `pulumi refresh`/,
    );
    assert.equal(await etcd.admin.get(peerKey("rr-mesh")).string(), before);
    await stack.refresh();
    await stack.up();
    assert.deepEqual((await keys())["rr-mesh"].metadata.labels, { team: "net", tier: "rr" });
  });

  it("adopts a peer created by another client only with adopt: true", async () => {
    await etcd.admin
      .put(peerKey("legacy-tor"))
      .value(
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"legacy-tor","uid":"eeeeeeee-2222-4333-8444-555555555555","creationTimestamp":"2018-03-03T03:03:03Z"},"spec":{"node":"","peerIP":"10.9.0.1","asNumber":64999}}',
      );
    peers["legacy-tor"] = { peerIP: "10.9.0.1", asNumber: 64999 };
    await assert.rejects(stack.up(), /BGPPeer "legacy-tor" already exists in etcd .* set `adopt: true`/);
    peers["legacy-tor"] = { peerIP: "10.9.0.1", asNumber: 64999, adopt: true };
    const rev = await revision();
    await stack.up();
    assert.equal(await revision(), rev, "equal spec: adopting writes nothing");
    assert.deepEqual(await stack.preview().then((p) => p.changeSummary), { same: 5 });
  });

  it("invalid input fails at preview with the field named, and etcd's revision is unchanged", async () => {
    const rev = await revision();
    const saved = peers;
    peers = { ...saved, bad: { name: "bad", peerIP: "10.0.0.300", asNumber: 1 } };
    await assert.rejects(stack.preview(), /peerIP: "10\.0\.0\.300" is not a valid peer address/);
    peers = saved;
    assert.equal(await revision(), rev);
  });

  it("the etcd password from secret stack config appears nowhere in the exported state", async () => {
    // `pulumi stack export` itself: the Automation API's exportStack adds --show-secrets.
    const text = execFileSync("pulumi", ["stack", "export", "--stack", "e2e", "--non-interactive"], {
      cwd: ls.work,
      env: ls.cliEnv,
      encoding: "utf8",
    });
    const state = JSON.parse(text);
    assert.deepEqual(pathsContaining(state, PASSWORD), []);
    assert.ok(text.includes("pulumi-nodejs:dynamic/calico:BgpPeer"));
    // The engine records stack config on the default provider; there the password is ciphertext.
    const providerRes = state.deployment.resources.find((r: any) => r.type === "pulumi:providers:pulumi-nodejs");
    assert.ok(providerRes.inputs["calico:etcdPassword"].ciphertext, "stored as a secret");
    for (const r of state.deployment.resources.filter((r: any) => r.type.endsWith(":BgpPeer"))) {
      assert.equal(pathsContaining(r, "etcd").filter((p) => !p.endsWith(".key")).length, 0, "no connection settings in a peer's state");
    }
  });

  it("destroy removes every key it created and nothing else", async () => {
    await etcd.admin
      .put(peerKey("not-ours"))
      .value('{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"not-ours"},"spec":{"peerIP":"10.0.0.9","asNumber":9}}');
    await stack.destroy();
    assert.deepEqual(Object.keys(await keys()), ["not-ours"]);
  });
});
