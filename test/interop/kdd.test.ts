import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { BgpPeer, type BgpPeerArgs } from "../../provider";
import { METADATA_ANNOTATION } from "../../provider/model/kdd";
import { OWNER_ANNOTATION } from "../../provider/model/keys";
import { type Calicoctl, calicoctlForKube } from "../harness/calicoctl";
import { CRD, startKube, type TestKube } from "../harness/kube";
import { type LocalStack, localStack, ROOT } from "../harness/pulumi";
import { asInput, DOCS, FILTERS, nameOf, OURS } from "./peers";

/**
 * The Kubernetes datastore end to end: the real Pulumi CLI (Automation API, local backend) and the
 * real calicoctl v3.31 in KDD mode, on one kube-apiserver 1.34 with Calico's CRDs. Peers go both
 * ways, byte for byte, and every user-facing scenario runs: up, no-op preview, preview --diff,
 * drift, conflict, adopt, invalid input, destroy.
 */
let kube: TestKube;
let ctl: Calicoctl;
let ls: LocalStack;
let peers: Record<string, BgpPeerArgs> = {};

async function program() {
  const out: Record<string, unknown> = {};
  for (const [name, args] of Object.entries(peers)) out[name] = new BgpPeer(name, args).resourceVersion;
  return out;
}
async function cr(name: string): Promise<any> {
  const r = await kube.call("GET", `${CRD}/bgppeers/${name}`);
  return r.status === 200 ? r.body : undefined;
}
/** Every BGPPeer CR's resourceVersion: equal before and after means nothing was written. */
async function versions(): Promise<Record<string, string>> {
  const r = await kube.call("GET", `${CRD}/bgppeers`);
  return Object.fromEntries(r.body.items.map((i: any) => [i.metadata.name, i.metadata.resourceVersion]));
}
/** A preview --diff and a refresh show every resource unchanged, and no CR was written since `before`. */
async function noChanges(before: Record<string, string>): Promise<void> {
  const pv = await ls.stack.preview({ diff: true });
  assert.deepEqual(pv.changeSummary, { same: Object.keys(peers).length + 1 }, pv.stdout);
  const rf = await ls.stack.refresh();
  assert.deepEqual(rf.summary.resourceChanges, { same: Object.keys(peers).length + 1 });
  assert.deepEqual(await versions(), before);
}
async function outputs(resource: string): Promise<any> {
  const st = await ls.stack.exportStack();
  return st.deployment.resources.find((r: any) => r.urn.endsWith(`::${resource}`))?.outputs;
}
/** calico-bgppeer (this package's CLI) with the config file calicoctl uses. */
function ours(args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, "dist/provider/cli/main.js"), ...args], {
    env: { PATH: process.env.PATH, HOME: kube.dir, CALICOCTL_CONFIG: ctl.config },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

before(async () => {
  kube = await startKube();
  ctl = calicoctlForKube(kube.kubeconfig);
  ls = await localStack("kdd", program, { DATASTORE_TYPE: "kubernetes", KUBECONFIG: kube.kubeconfig, ETCD_ENDPOINTS: "" });
  ctl.ok(["create", "-f", "-"], FILTERS);
});
after(async () => {
  await kube?.stop();
  ctl?.cleanup();
  ls?.cleanup();
});

describe("Kubernetes datastore: ours → calicoctl", { concurrency: false }, () => {
  it("up writes peers of every kind; calicoctl in KDD mode reads exactly what we wrote", async () => {
    peers = { ...OURS };
    const up = await ls.stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.summary.resourceChanges?.create, Object.keys(OURS).length + 1);
    for (const res of Object.keys(OURS)) {
      const name = nameOf(res);
      const got = ctl.getPeer(name);
      const o = await cr(name);
      const outs = await outputs(res);
      assert.equal(o.apiVersion, "crd.projectcalico.org/v1");
      assert.deepEqual(got.spec, o.spec, `${name}: calicoctl reads the spec we stored`);
      assert.equal(got.metadata.uid, outs.uid, `${name}: state's uid is the one Calico shows`);
      assert.equal(got.metadata.resourceVersion, outs.resourceVersion);
      assert.equal(new Date(got.metadata.creationTimestamp).toISOString(), new Date(outs.creationTimestamp).toISOString());
      const inner = JSON.parse(o.metadata.annotations[METADATA_ANNOTATION]);
      assert.deepEqual(got.metadata.labels, inner.labels);
      assert.deepEqual(got.metadata.annotations, inner.annotations);
      assert.equal(got.metadata.annotations[OWNER_ANNOTATION], "bgppeer-kdd/kdd");
    }
    assert.deepEqual(ctl.getPeer("rack1-host1.10-1-0-1").spec, { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 4227858433 });
    assert.equal(ctl.getPeer("edge-full").spec.maxRestartTime, "1m30s");
  });

  it("what we write is byte for byte the custom resource calicoctl writes for the same peer", async () => {
    const strip = (o: any, name: string) => {
      const meta = { ...o.metadata, name };
      for (const k of ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"]) delete meta[k];
      const inner = JSON.parse(meta.annotations[METADATA_ANNOTATION]);
      delete inner.creationTimestamp;
      meta.annotations = { ...meta.annotations, [METADATA_ANNOTATION]: inner };
      return JSON.stringify({ ...o, metadata: meta });
    };
    for (const res of Object.keys(OURS)) {
      const name = nameOf(res);
      const twin = `cc-${name}`.slice(0, 253);
      ctl.ok(["create", "-f", "-"], asInput(ctl.getPeer(name), twin));
      const theirs = await cr(twin);
      const mine = await cr(name);
      assert.equal(strip(mine, name), strip(theirs, name), `${name}: our custom resource differs from calicoctl's`);
      // The metadata annotation's text too, but for the creationTimestamp each write takes.
      const ts = (o: any) => JSON.parse(o.metadata.annotations[METADATA_ANNOTATION]).creationTimestamp;
      assert.equal(
        mine.metadata.annotations[METADATA_ANNOTATION].replace(ts(mine), "T"),
        theirs.metadata.annotations[METADATA_ANNOTATION].replace(ts(theirs), "T"),
      );
      ctl.ok(["delete", "bgppeer", twin]);
    }
  });

  it("calico-bgppeer get prints what calicoctl get prints, in every format", async () => {
    for (const fmt of ["yaml", "json", "wide", "ps"]) {
      assert.equal(ours(["get", "bgppeers", "-o", fmt]), ctl.ok(["get", "bgppeers", "-o", fmt]), `-o ${fmt}`);
    }
    assert.equal(ours(["get", "bgppeer", "edge-full", "-o", "yaml"]), ctl.ok(["get", "bgppeer", "edge-full", "-o", "yaml"]));
  });

  it("a no-op preview and a refresh write nothing and show no changes", async () => {
    const before = await versions();
    await noChanges(before);
  });

  it("preview --diff shows a field change, and up applies it in place", async () => {
    const uid = ctl.getPeer("rr-v6").metadata.uid;
    peers["rr-v6"] = { ...peers["rr-v6"], asNumber: 64513 };
    const pv = await ls.stack.preview({ diff: true });
    assert.match(pv.stdout, /~ asNumber\s*:\s*64512\s*=>\s*64513/);
    assert.deepEqual(pv.changeSummary, { same: Object.keys(peers).length, update: 1 });
    await ls.stack.up();
    const got = ctl.getPeer("rr-v6");
    assert.equal(got.spec.asNumber, 64513);
    assert.equal(got.metadata.uid, uid, "updated in place");
  });

  it("drift: a calicoctl apply shows in preview --refresh --diff; up without refresh is a conflict and writes nothing; refresh then up restores", async () => {
    const before = ctl.getPeer("tor-port-v4");
    ctl.ok(["apply", "-f", "-"], asInput({ ...before, spec: { ...before.spec, asNumber: 65099 } }));
    const pv = await ls.stack.preview({ diff: true, refresh: true });
    assert.match(pv.stdout, /asNumber\s*:\s*65099\s*=>\s*65001/);
    // A program change to the drifted peer: the up refuses it rather than overwrite the edit.
    peers["tor-port-v4"] = { ...peers["tor-port-v4"], ttlSecurity: 3 };
    const rv = (await cr("tor-port-v4")).metadata.resourceVersion;
    await assert.rejects(
      ls.stack.up(),
      /BGPPeer "tor-port-v4" was changed outside Pulumi: the Kubernetes datastore has resourceVersion \d+, state has \d+\. Nothing was written\./,
    );
    assert.equal((await cr("tor-port-v4")).metadata.resourceVersion, rv);
    await ls.stack.refresh();
    await ls.stack.up();
    const after = ctl.getPeer("tor-port-v4");
    assert.equal(after.spec.asNumber, 65001);
    assert.equal(after.spec.ttlSecurity, 3);
  });

  it("invalid input fails the preview naming the field, the value and the rule, and nothing is written", async () => {
    const before = await versions();
    peers.bad = { name: "bad", node: "n1", nodeSelector: "all()", peerIP: "10.9.9.300", asNumber: 1 };
    await assert.rejects(ls.stack.preview(), (e: Error) => /peerIP: "10\.9\.9\.300" is not a valid peer address/.test(e.message));
    await assert.rejects(ls.stack.up(), /10\.9\.9\.300/);
    delete peers.bad;
    assert.deepEqual(await versions(), before);
  });
});

describe("Kubernetes datastore: calicoctl → ours", { concurrency: false }, () => {
  it("peers created by calicoctl create and apply are adopted without a write, and the next preview shows no changes", async () => {
    const [created, applied] = [DOCS.slice(0, 4), DOCS.slice(4)];
    ctl.ok(["create", "-f", "-"], created.map((d) => stringify(d)).join("---\n"));
    ctl.ok(["apply", "-f", "-"], applied.map((d) => stringify(d)).join("---\n"));
    const before = await versions();
    for (const d of DOCS)
      peers[`adopt-${d.metadata.name}`] = {
        name: d.metadata.name,
        ...(d.spec as object),
        labels: (d.metadata as any).labels,
        annotations: (d.metadata as any).annotations,
        adopt: true,
      } as BgpPeerArgs;
    const up = await ls.stack.up();
    assert.equal(up.summary.resourceChanges?.create, DOCS.length);
    assert.deepEqual(await versions(), before, "adopting peers equal to the program writes nothing");
    for (const d of DOCS) {
      const outs = await outputs(`adopt-${d.metadata.name}`);
      assert.equal(outs.uid, ctl.getPeer(d.metadata.name).metadata.uid, `${d.metadata.name}: keeps calicoctl's uid`);
    }
    await noChanges(before);
  });

  it("an adopted peer changed by the program is written so that calicoctl reads the change, keeping its uid and annotations", async () => {
    const uid = ctl.getPeer("cc-full").metadata.uid;
    peers["adopt-cc-full"] = { ...peers["adopt-cc-full"], ttlSecurity: 2 };
    await ls.stack.up();
    const got = ctl.getPeer("cc-full");
    assert.equal(got.spec.ttlSecurity, 2);
    assert.equal(got.metadata.uid, uid);
    assert.deepEqual(got.metadata.annotations, { note: "owned by <noc> & friends", [OWNER_ANNOTATION]: "bgppeer-kdd/kdd" });
  });

  it("destroy deletes our peers and the adopted ones; calicoctl lists none", async () => {
    await ls.stack.destroy();
    assert.deepEqual(parse(ctl.ok(["get", "bgppeers", "-o", "yaml"])).items, []);
  });
});
