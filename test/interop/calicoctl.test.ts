import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { PEER_PREFIX, peerKey } from "../../provider/model/codec";
import { calicoctlFor } from "../harness/calicoctl";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { interopSuite } from "../scenarios/interop";
import { asInput, nameOf, OURS } from "./peers";

/**
 * Round trips with the real calicoctl (v3.31, built by scripts/tools.js) on one etcd: the shared
 * scenarios (test/scenarios/interop.ts), then what is etcd's own: every value byte for byte as
 * calicoctl writes it, and a field calicoctl v3.31 predates.
 */
let etcd: TestEtcd;

async function raw(name: string): Promise<string | null> {
  return etcd.admin.get(peerKey(name)).string();
}
async function stored(name: string): Promise<any> {
  const text = await raw(name);
  return text === null ? undefined : JSON.parse(text);
}

const s = interopSuite({
  stack: "interop",
  storeName: "etcd",
  async start() {
    etcd = await startEtcd();
    return { env: { ETCD_ENDPOINTS: etcd.endpoint }, ctl: calicoctlFor(etcd.endpoint) };
  },
  async stop() {
    await etcd?.stop();
  },
  stored,
  async revisions() {
    const res = await etcd.admin.getAll().prefix(PEER_PREFIX).exec();
    return JSON.stringify(res.kvs.map((kv) => [kv.key.toString(), kv.mod_revision]));
  },
});

s.oursToCalicoctl();

describe("etcd's own: values byte for byte, and a field calicoctl predates", { concurrency: false }, () => {
  it("what we write is byte for byte what calicoctl writes for the same peer", async () => {
    for (const res of Object.keys(OURS)) {
      const name = nameOf(res);
      const twin = `cc-${name}`.slice(0, 253);
      s.ctl.ok(["create", "-f", "-"], asInput(s.ctl.getPeer(name), twin));
      const theirs = (await raw(twin))!;
      const t = JSON.parse(theirs).metadata;
      const ours = (await stored(name)).metadata;
      const expected = theirs.replace(`"name":"${twin}"`, `"name":"${name}"`).replace(t.uid, ours.uid).replace(t.creationTimestamp, ours.creationTimestamp);
      assert.equal(await raw(name), expected, `${name}: our value differs from calicoctl's`);
      s.ctl.ok(["delete", "bgppeer", twin]);
    }
  });

  it("keepaliveTime, which calicoctl v3.31 predates: calicoctl reads the peer, and its apply drops the field, which refresh shows", async () => {
    s.peers["edge-keep"] = { ...OURS["edge-keep"], keepaliveTime: "30s" };
    await s.ls.stack.up();
    assert.equal((await stored("edge-keep")).spec.keepaliveTime, "30s");
    const got = s.ctl.getPeer("edge-keep");
    assert.equal(got.spec.keepaliveTime, undefined);
    s.ctl.ok(["apply", "-f", "-"], stringify(got));
    assert.equal((await stored("edge-keep")).spec.keepaliveTime, undefined);
    const pv = await s.ls.stack.preview({ refresh: true, diff: true });
    assert.match(pv.stdout, /\+ keepaliveTime\s*:\s*"30s"/);
    await s.ls.stack.refresh();
    await s.ls.stack.up();
    assert.equal((await stored("edge-keep")).spec.keepaliveTime, "30s");
  });
});

s.calicoctlToOurs();
