import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { BgpPeer, type BgpPeerArgs } from "../../provider";
import { OWNER_ANNOTATION } from "../../provider/model/keys";
import type { Calicoctl } from "../harness/calicoctl";
import { type LocalStack, localStack, ROOT } from "../harness/pulumi";
import { asInput, DOCS, FILTERS, nameOf, OURS } from "../interop/peers";

/**
 * The round trips with the real calicoctl that every datastore must pass alike, written once:
 * peers of every kind that BgpPeer writes under the real Pulumi CLI, read and changed by calicoctl,
 * and peers that calicoctl writes, adopted and read back. test/interop/calicoctl.test.ts runs them
 * on etcd, test/interop/kdd.test.ts on a kube-apiserver, each adding what is its store's own (the
 * byte-for-byte comparison with calicoctl's twin of each peer, in that store's form).
 */
export interface InteropStore {
  /** The stack's name: the mark every write carries is `bgppeer-<stack>/<stack>`. */
  stack: string;
  /** "etcd" or "the Kubernetes datastore", as messages name it. */
  storeName: string;
  /** Starts the store; the environment that points the Pulumi CLI at it, and calicoctl for it. */
  start(): Promise<{ env: Record<string, string>; ctl: Calicoctl }>;
  stop(): Promise<void>;
  /** The peer as the datastore holds it, in v3 terms (the etcd value, or the CR's view). */
  stored(name: string): Promise<{ spec: any; metadata: any } | undefined>;
  /** Every peer's revision: equal before and after means nothing was written. */
  revisions(): Promise<string>;
}

export interface InteropSuite {
  ctl: Calicoctl;
  ls: LocalStack;
  peers: Record<string, BgpPeerArgs>;
  outputs(resource: string): Promise<any>;
  /** The scenarios of ours → calicoctl; the caller's own follow them in its file. */
  oursToCalicoctl(): void;
  /** The scenarios of calicoctl → ours (they end with a destroy). */
  calicoctlToOurs(): void;
}

/** The revision a `get bgppeers` list was read at, as -o yaml or -o json prints it. */
function listRevision(text: string): string {
  const rv = parse(text)?.metadata?.resourceVersion;
  assert.match(String(rv), /^\d+$/, `a list's revision: ${rv}`);
  return rv;
}

/** The list printed with another revision in its own metadata (the items' are left as they are). */
function withListRevision(text: string, fmt: string, rv: string): string {
  const at = fmt === "yaml" ? /^(metadata:\n {2}resourceVersion: )"\d+"$/m : /^( {2}"metadata": \{\n {4}"resourceVersion": )"\d+"$/m;
  assert.match(text, at, `-o ${fmt}: the list's own revision is where calicoctl prints it`);
  return text.replace(at, `$1"${rv}"`);
}

export function interopSuite(store: InteropStore): InteropSuite {
  const s = { peers: {} as Record<string, BgpPeerArgs> } as InteropSuite;
  const mark = `bgppeer-${store.stack}/${store.stack}`;
  const escaped = store.storeName.replace(/[.]/g, "\\.");

  async function program() {
    const out: Record<string, unknown> = {};
    for (const [name, args] of Object.entries(s.peers)) out[name] = new BgpPeer(name, args).resourceVersion;
    return out;
  }
  s.outputs = async (resource) => {
    const st = await s.ls.stack.exportStack();
    return st.deployment.resources.find((r: any) => r.urn.endsWith(`::${resource}`))?.outputs;
  };
  /** A preview --diff and a refresh show every resource unchanged, and nothing was written. */
  async function noChanges(): Promise<void> {
    const before = await store.revisions();
    const pv = await s.ls.stack.preview({ diff: true });
    assert.deepEqual(pv.changeSummary, { same: Object.keys(s.peers).length + 1 }, pv.stdout);
    const rf = await s.ls.stack.refresh();
    assert.deepEqual(rf.summary.resourceChanges, { same: Object.keys(s.peers).length + 1 });
    assert.equal(await store.revisions(), before);
  }
  /** calico-bgppeer (this package's CLI) with the config file calicoctl uses. */
  function ours(args: string[]): string {
    const r = spawnSync(process.execPath, [path.join(ROOT, "dist/provider/cli/main.js"), ...args], {
      env: { PATH: process.env.PATH, HOME: path.dirname(s.ctl.config), CALICOCTL_CONFIG: s.ctl.config },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  }

  before(async () => {
    const { env, ctl } = await store.start();
    s.ctl = ctl;
    s.ls = await localStack(store.stack, program, env);
    ctl.ok(["create", "-f", "-"], FILTERS);
  });
  after(async () => {
    await store.stop();
    s.ctl?.cleanup();
    s.ls?.cleanup();
  });

  s.oursToCalicoctl = () =>
    describe(`ours → calicoctl (${store.storeName})`, { concurrency: false }, () => {
      it("up writes peers of every kind; calicoctl reads exactly what we stored", async () => {
        s.peers = { ...OURS };
        const up = await s.ls.stack.up();
        assert.equal(up.summary.resourceChanges?.create, Object.keys(OURS).length + 1);
        for (const res of Object.keys(OURS)) {
          const name = nameOf(res);
          const got = s.ctl.getPeer(name);
          const value = (await store.stored(name))!;
          const outs = await s.outputs(res);
          assert.equal(got.kind, "BGPPeer");
          assert.equal(got.metadata.name, name);
          assert.deepEqual(got.spec, value.spec, `${name}: calicoctl reads the spec we stored`);
          assert.equal(got.metadata.uid, outs.uid, `${name}: state's uid is the one Calico shows`);
          assert.equal(got.metadata.resourceVersion, outs.resourceVersion);
          assert.equal(new Date(got.metadata.creationTimestamp).toISOString(), new Date(outs.creationTimestamp).toISOString());
          assert.deepEqual(got.metadata.labels, value.metadata.labels);
          assert.deepEqual(got.metadata.annotations, value.metadata.annotations);
          assert.equal(got.metadata.annotations[OWNER_ANNOTATION], mark);
        }
        // Spot checks against what the user declared, as calicoctl prints it.
        assert.deepEqual(s.ctl.getPeer("rack1-host1.10-1-0-1").spec, { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 4227858433 });
        assert.deepEqual(s.ctl.getPeer("10-0-0-100").spec, { peerIP: "10.0.0.100", asNumber: 64512 });
        assert.equal(s.ctl.getPeer("rr-v6").spec.peerIP, "2001:DB8::100");
        for (const res of ["addr-v6-upper", "addr-v4-mapped", "addr-port-zeros", "addr-bracket-v4"]) {
          assert.equal((await store.stored(res))!.spec.peerIP, OURS[res].peerIP, `${res}: stored as typed`);
        }
        assert.equal((await store.stored("addr-reach-v6"))!.spec.reachableBy, "2001:DB8::FE");
        assert.equal(s.ctl.getPeer("tor-port-v6").spec.peerIP, "[2001:db8::2]:1179");
        assert.equal(s.ctl.getPeer("rr-mesh").spec.peerSelector, "has(rr)&&rack=='r1'");
        const full = s.ctl.getPeer("edge-full");
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
        assert.deepEqual(full.metadata.annotations, { "example.com/owner": "net & ops <noc>", [OWNER_ANNOTATION]: mark });
        assert.equal(s.ctl.getPeer("edge-keep").spec.password.secretKeyRef.optional, true);
        // numAllowedLocalASNumbers 0, declared, is stored and shown as calicoctl stores and shows it.
        assert.equal((await store.stored("allow-zero"))!.spec.numAllowedLocalASNumbers, 0);
        assert.equal(s.ctl.getPeer("allow-zero").spec.numAllowedLocalASNumbers, 0);
        assert.equal((await s.outputs("allow-zero")).numAllowedLocalASNumbers, 0);
        const wide = s.ctl.ok(["get", "bgppeers", "-o", "wide"]);
        // calicoctl prints ASNs in decimal, a nodeSelector in the NODE column, and 0 for no ASN.
        assert.match(wide, /rack1-host1\.10-1-0-1\s+10\.1\.0\.1\s+rack1-host1\s+4227858433\s/);
        assert.match(wide, /rr-mesh\s+!has\(rr\) && rack == 'r1'\s+0\s/);
        assert.match(wide, /10-0-0-100\s+10\.0\.0\.100\s+\(global\)\s+64512/);
      });

      it("calico-bgppeer get prints what calicoctl get prints, in every format", async () => {
        for (const fmt of ["wide", "ps"]) {
          assert.equal(ours(["get", "bgppeers", "-o", fmt]), s.ctl.ok(["get", "bgppeers", "-o", fmt]), `-o ${fmt}`);
        }
        // A list carries the store's revision at the read, which any write to the store moves, ours
        // or not (a kube-apiserver renews its own lease every 10 s). So ours is read between two
        // reads of calicoctl's, its revision must lie between theirs, and the rest must be the
        // same bytes.
        for (const fmt of ["yaml", "json"]) {
          const first = s.ctl.ok(["get", "bgppeers", "-o", fmt]);
          const got = ours(["get", "bgppeers", "-o", fmt]);
          const last = s.ctl.ok(["get", "bgppeers", "-o", fmt]);
          const [lo, mid, hi] = [first, got, last].map((t) => BigInt(listRevision(t)));
          assert.ok(lo <= mid && mid <= hi, `-o ${fmt}: list revision ${mid} lies between calicoctl's ${lo} and ${hi}`);
          assert.equal(withListRevision(got, fmt, listRevision(first)), first, `-o ${fmt}`);
        }
        assert.equal(ours(["get", "bgppeer", "edge-full", "-o", "yaml"]), s.ctl.ok(["get", "bgppeer", "edge-full", "-o", "yaml"]));
      });

      it("a no-op preview and a refresh write nothing and show no changes", async () => {
        await noChanges();
      });

      it("preview --diff shows a field change, and up applies it in place", async () => {
        const uid = s.ctl.getPeer("rr-v6").metadata.uid;
        s.peers["rr-v6"] = { ...s.peers["rr-v6"], asNumber: 64513 };
        const pv = await s.ls.stack.preview({ diff: true });
        assert.match(pv.stdout, /~ asNumber\s*:\s*64512\s*=>\s*64513/);
        assert.deepEqual(pv.changeSummary, { same: Object.keys(s.peers).length, update: 1 });
        await s.ls.stack.up();
        const got = s.ctl.getPeer("rr-v6");
        assert.equal(got.spec.asNumber, 64513);
        assert.equal(got.metadata.uid, uid, "updated in place");
      });

      it("drift: a calicoctl apply shows in preview --refresh --diff; up without refresh is a conflict naming the store and writes nothing; refresh then up restores", async () => {
        const before = s.ctl.getPeer("tor-port-v4");
        s.ctl.ok(["apply", "-f", "-"], asInput({ ...before, spec: { ...before.spec, asNumber: 65099 } }));
        assert.equal(s.ctl.getPeer("tor-port-v4").metadata.uid, before.metadata.uid, "apply keeps the uid");
        const pv = await s.ls.stack.preview({ diff: true, refresh: true });
        assert.match(pv.stdout, /asNumber\s*:\s*65099\s*=>\s*65001/);
        // A program change to the drifted peer: the up refuses it rather than overwrite the edit.
        s.peers["tor-port-v4"] = { ...s.peers["tor-port-v4"], ttlSecurity: 3 };
        const rev = await store.revisions();
        await assert.rejects(
          s.ls.stack.up(),
          new RegExp(`BGPPeer "tor-port-v4" was changed outside Pulumi: ${escaped} has resourceVersion \\d+, state has \\d+\\. Nothing was written\\.`),
        );
        assert.equal(await store.revisions(), rev);
        await s.ls.stack.refresh();
        assert.equal((await s.outputs("tor-port-v4")).asNumber, 65099);
        await s.ls.stack.up();
        const after = s.ctl.getPeer("tor-port-v4");
        assert.equal(after.spec.asNumber, 65001);
        assert.equal(after.spec.ttlSecurity, 3);
      });

      it("calicoctl replace changes a peer of ours; refresh sees it and up restores it", async () => {
        const cur = s.ctl.getPeer("rr-mesh");
        s.ctl.ok(["replace", "-f", "-"], stringify({ ...cur, spec: { ...cur.spec, peerSelector: "has(rr) && rack == 'r2'" } }));
        const r = await s.ls.stack.refresh();
        assert.equal(r.summary.resourceChanges?.update, 1);
        assert.equal((await s.outputs("rr-mesh")).peerSelector, "has(rr) && rack == 'r2'");
        await s.ls.stack.up();
        assert.equal(s.ctl.getPeer("rr-mesh").spec.peerSelector, "has(rr)&&rack=='r1'");
      });

      it("calicoctl label: foreign labels survive our writes, and an overwritten managed label shows as drift", async () => {
        s.ctl.ok(["label", "bgppeers", "edge-full", "rack=r9"]);
        const rf = await s.ls.stack.refresh();
        assert.deepEqual(rf.summary.resourceChanges, { same: Object.keys(s.peers).length + 1 }, "a label we do not manage is not drift");
        s.peers["edge-full"] = { ...OURS["edge-full"], labels: { tier: "edge2" } };
        await s.ls.stack.up();
        assert.deepEqual(s.ctl.getPeer("edge-full").metadata.labels, { rack: "r9", tier: "edge2" });
        s.ctl.ok(["label", "bgppeers", "edge-full", "tier=core", "--overwrite"]);
        await s.ls.stack.refresh();
        assert.deepEqual((await s.outputs("edge-full")).labels, { tier: "core" });
        await s.ls.stack.up();
        assert.deepEqual(s.ctl.getPeer("edge-full").metadata.labels, { rack: "r9", tier: "edge2" });
      });

      it("calicoctl delete removes a peer of ours; refresh drops it and up re-creates it", async () => {
        s.ctl.ok(["delete", "bgppeer", "local-speaker"]);
        const r = await s.ls.stack.refresh();
        assert.equal(r.summary.resourceChanges?.delete, 1);
        await s.ls.stack.up();
        assert.equal(s.ctl.getPeer("local-speaker").spec.localWorkloadSelector, "app == 'bgp-speaker'");
      });

      it("invalid input fails the preview naming the field, the value and the rule, and nothing is written", async () => {
        const before = await store.revisions();
        s.peers.bad = { name: "bad", node: "n1", nodeSelector: "all()", peerIP: "10.9.9.300", asNumber: 1 };
        await assert.rejects(s.ls.stack.preview(), (e: Error) => /peerIP: "10\.9\.9\.300" is not a valid peer address/.test(e.message));
        await assert.rejects(s.ls.stack.up(), /10\.9\.9\.300/);
        delete s.peers.bad;
        assert.equal(await store.revisions(), before);
      });
    });

  s.calicoctlToOurs = () =>
    describe(`calicoctl → ours (${store.storeName})`, { concurrency: false }, () => {
      // As users write them for calicoctl: dotted and decimal-string ASNs, upper-case IPv6, unspaced
      // selectors, durations in their own units, ports, passwords, filters, labels, annotations.
      it("peers created by calicoctl create and apply are adopted without a write, and the next preview shows no changes", async () => {
        const [created, applied] = [DOCS.slice(0, 4), DOCS.slice(4)];
        s.ctl.ok(["create", "-f", "-"], created.map((d) => stringify(d)).join("---\n"));
        s.ctl.ok(["apply", "-f", "-"], applied.map((d) => stringify(d)).join("---\n"));
        const before = await store.revisions();
        for (const d of DOCS)
          s.peers[`adopt-${d.metadata.name}`] = {
            name: d.metadata.name,
            ...(d.spec as object),
            labels: (d.metadata as any).labels,
            annotations: (d.metadata as any).annotations,
            adopt: true,
          } as BgpPeerArgs;
        const up = await s.ls.stack.up();
        assert.equal(up.summary.resourceChanges?.create, DOCS.length);
        assert.equal(await store.revisions(), before, "adopting peers equal to the program writes nothing");
        for (const d of DOCS) {
          const outs = await s.outputs(`adopt-${d.metadata.name}`);
          assert.equal(outs.uid, s.ctl.getPeer(d.metadata.name).metadata.uid, `${d.metadata.name}: keeps calicoctl's uid`);
        }
        await noChanges();
        // calicoctl's explicit numAllowedLocalASNumbers 0 is read as it is, and a program that leaves
        // it out means the same to calico-node (no "allow local as"): no diff, no write.
        assert.equal((await store.stored("cc-allow0"))!.spec.numAllowedLocalASNumbers, 0);
        assert.equal((await s.outputs("adopt-cc-allow0")).numAllowedLocalASNumbers, 0);
        const { numAllowedLocalASNumbers, ...without } = s.peers["adopt-cc-allow0"] as Record<string, unknown>;
        assert.equal(numAllowedLocalASNumbers, 0);
        s.peers["adopt-cc-allow0"] = without as BgpPeerArgs;
        await noChanges();
        const again = await s.ls.stack.up();
        assert.deepEqual(again.summary.resourceChanges, { same: Object.keys(s.peers).length + 1 });
        assert.equal(await store.revisions(), before, "0 and unset are the same peer: nothing written");
        assert.equal(s.ctl.getPeer("cc-allow0").spec.numAllowedLocalASNumbers, 0, "calicoctl's 0 stays");
        const full = await s.outputs("adopt-cc-full");
        assert.equal(full.maxRestartTime, "1h0m0s");
        assert.equal(full.localASNumber, 65542);
        assert.equal((await s.outputs("adopt-cc-global-v6")).peerIP, "2001:db8::30");
      });

      it("an adopted peer changed by the program is written so that calicoctl reads the change, keeping its uid and annotations", async () => {
        const uid = s.ctl.getPeer("cc-full").metadata.uid;
        s.peers["adopt-cc-full"] = { ...s.peers["adopt-cc-full"], ttlSecurity: 2 };
        await s.ls.stack.up();
        const got = s.ctl.getPeer("cc-full");
        assert.equal(got.spec.ttlSecurity, 2);
        assert.equal(got.metadata.uid, uid);
        // The write that changed it marked it as this stack's.
        assert.deepEqual(got.metadata.annotations, { note: "owned by <noc> & friends", [OWNER_ANNOTATION]: mark });
      });

      it("destroy deletes our peers and the adopted ones; calicoctl lists none", async () => {
        await s.ls.stack.destroy();
        assert.deepEqual(parse(s.ctl.ok(["get", "bgppeers", "-o", "yaml"])).items, []);
      });
    });

  return s;
}
