import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { provider } from "../../provider";
import type { SetInputs, SetOutputs } from "../../provider/core/set";
import { AlreadyExistsError, ConflictError } from "../../provider/datastore/errors";
import { impl } from "../../provider/dynamic/set-provider";
import { filterKey, PEER_PREFIX, peerKey } from "../../provider/model/codec";
import { etcdForProvider } from "../harness/etcd";

/**
 * BgpPeerSet's provider against a real etcd with its default limits (--max-txn-ops 128,
 * --max-request-bytes 1.5 MiB): the bytes it writes, its transactions and reads as etcd counts
 * them, and its refusals.
 */
const etcd = etcdForProvider();

async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = { peers: {} }): Promise<SetInputs> {
  const r = await impl.check(olds, news);
  assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
  return r.inputs as SetInputs;
}
async function revision(): Promise<bigint> {
  return BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
}
async function rpcs<T>(fn: () => Promise<T>): Promise<{ result: T; txn: number; range: number }> {
  const a = await etcd.rpcCounts();
  const result = await fn();
  const b = await etcd.rpcCounts();
  const d = (k: string) => (b[k] ?? 0) - (a[k] ?? 0);
  return { result, txn: d("KV.Txn"), range: d("KV.Range") };
}
const hostPeers = (rack: string, hosts: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: hosts }, (_, i) => ({ scope: "node", node: `${rack}-host${i + 1}`, peerIP: "10.9.0.1", asNumber: 65009, ...extra }));

describe("BgpPeerSet against etcd", () => {
  it("writes each peer byte for byte as BgpPeer writes it, apart from the uid and creationTimestamp each create draws", async () => {
    const args = { scope: "node", node: "bytes-host1", peerIP: "10.0.0.1:1790", asNumber: "1.10", labels: { rack: "r" }, keepOriginalNextHop: true };
    const single = await provider.check!({ name: "x" }, args);
    const one = await provider.create!(single.inputs);
    const viaPeer = (await etcd.admin.get(peerKey(one.id)).string())!;
    await provider.delete!(one.id, one.outs);
    const set = await impl.create(await checked({ name: "bytes", peers: [args] }));
    const viaSet = (await etcd.admin.get(peerKey(one.id)).string())!;
    const mask = (t: string) => t.replace(/"uid":"[^"]*"/, '"uid":"U"').replace(/"creationTimestamp":"[^"]*"/, '"creationTimestamp":"T"');
    assert.equal(mask(viaSet), mask(viaPeer));
    assert.match(viaSet, /"uid":"[0-9a-f-]{36}","creationTimestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
    await impl.delete(set.id, set.outs as SetOutputs);
  });

  it("creates, reads and deletes 300 peers with ceil(300 / 128) = 3 requests to read and 3 to write", async () => {
    const inputs = await checked({ name: "r300", peers: hostPeers("r300", 300) });
    const r0 = await revision();
    const c = await rpcs(() => impl.create(inputs));
    assert.equal(c.txn, 6, "3 read-only transactions, then 3 that write");
    assert.equal(c.range, 0);
    assert.equal(await revision(), r0 + 3n, "3 writes");
    const outs = c.result.outs as SetOutputs;
    assert.equal(Object.keys(outs.stored).length, 300);
    const rd = await rpcs(() => impl.read("r300", outs));
    assert.equal(rd.txn, 3);
    assert.equal(rd.range, 0);
    assert.deepEqual(rd.result.props, outs, "a read of an unchanged set returns its outputs");
    const r1 = await revision();
    const del = await rpcs(() => impl.delete("r300", outs));
    assert.equal(del.txn, 6);
    assert.equal(await revision(), r1 + 3n);
    assert.equal((await etcd.admin.getAll().prefix(`${PEER_PREFIX}r300-`).keys()).length, 0);
  });

  it("keeps a transaction within --max-txn-ops counting the BGPFilter compares, and within --max-request-bytes", async () => {
    // 150 peers that each name their own filter: a compare per peer and per filter, 64 peers a transaction.
    for (let i = 1; i <= 150; i++) await etcd.admin.put(filterKey(`f${i}`)).value("{}");
    const peers = hostPeers("filt", 150).map((p, i) => ({ ...p, filters: [`f${i + 1}`] }));
    const r0 = await revision();
    const c = await rpcs(async () => impl.create(await checked({ name: "filt", peers })));
    assert.equal(await revision(), r0 + 3n, "ceil(150 / 64) transactions");
    await impl.delete("filt", c.result.outs as SetOutputs);
    // 128 peers of 200 KiB annotations each: 25 MB, in requests of at most 1.5 MiB, and read back
    // in one response far above gRPC's default 4 MiB limit.
    const big = hostPeers("big", 128).map((p, i) => ({ ...p, annotations: { note: `${i}`.padEnd(200 * 1024, "x") } }));
    const r1 = await revision();
    const b = await rpcs(async () => impl.create(await checked({ name: "big", peers: big })));
    assert.ok((await revision()) - r1 >= 17n, "split by bytes: 25 MB in requests of at most 1.5 MiB");
    assert.equal((await etcd.admin.getAll().prefix(`${PEER_PREFIX}big-`).keys()).length, 128);
    const read = await impl.read("big", b.result.outs as SetOutputs);
    assert.equal(Object.keys((read.props as SetOutputs).peers).length, 128);
    await impl.delete("big", b.result.outs as SetOutputs);
  });

  it("refuses peers that exist, at check and at create, naming them, and writes nothing", async () => {
    await etcd.admin.put(peerKey("taken-host2.10-9-0-1")).value(
      JSON.stringify({
        kind: "BGPPeer",
        apiVersion: "projectcalico.org/v3",
        metadata: { name: "taken-host2.10-9-0-1", uid: "u-1", creationTimestamp: "2020-01-01T00:00:00Z" },
        spec: { node: "taken-host2", peerIP: "10.9.0.1", asNumber: 65009 },
      }),
    );
    const news = { name: "taken", peers: hostPeers("taken", 3) };
    const r = await impl.check({}, news);
    // The preview's refusal is the one the up makes (core/preview.ts asks the same decision), word for word.
    assert.equal(r.failures?.[0].property, "", "a refusal of the set as a whole");
    assert.match(
      r.failures![0].reason,
      /^BgpPeerSet "taken": 1 peer\(s\) already exist in etcd and are not managed by this stack: "taken-host2\.10-9-0-1"\. To bring/,
    );
    assert.match(r.failures![0].reason, /set `adopt: true` on the set/);
    const r0 = await revision();
    const inputs = await checked(news, { name: "taken", peers: { "taken-host2.10-9-0-1": {} } });
    await assert.rejects(impl.create(inputs), (e: Error) => {
      assert.ok(e instanceof AlreadyExistsError);
      assert.match(e.message, /^BgpPeerSet "taken": 1 peer\(s\) already exist in etcd and are not managed by this stack: "taken-host2\.10-9-0-1"\. To bring/);
      assert.match(e.message, /Nothing was written\.$/);
      assert.equal(e.message, r.failures![0].reason, "the preview said what the up says");
      // Errors as data: the set's refusal carries one error per peer, with its fields.
      const [peer] = (e as AlreadyExistsError).peers!;
      assert.ok(peer instanceof AlreadyExistsError);
      assert.deepEqual([peer.peer, peer.datastore, peer.written], ["taken-host2.10-9-0-1", "etcd", "nothing"]);
      assert.equal((e as AlreadyExistsError).set, "taken");
      return true;
    });
    assert.equal(await revision(), r0);
    // With adopt: the equal peer is taken without a write, the others are created in one transaction.
    const adopted = await rpcs(async () => impl.create(await checked({ ...news, adopt: true })));
    assert.equal(adopted.txn, 3, "check's read, create's read, one write");
    assert.equal((adopted.result.outs as SetOutputs).stored["taken-host2.10-9-0-1"].uid, "u-1");
    assert.equal(await revision(), r0 + 1n);
  });

  it("names every peer changed outside Pulumi, and writes nothing", async () => {
    const c = await impl.create(await checked({ name: "drift", peers: hostPeers("drift", 4) }));
    const outs = c.outs as SetOutputs;
    for (const n of ["drift-host1.10-9-0-1", "drift-host3.10-9-0-1"]) {
      const v = JSON.parse((await etcd.admin.get(peerKey(n)).string())!);
      v.spec.asNumber = 1;
      await etcd.admin.put(peerKey(n)).value(JSON.stringify(v));
    }
    const r0 = await revision();
    const news = await checked({ name: "drift", peers: hostPeers("drift", 4, { asNumber: 65010 }) }, outs as unknown as Record<string, unknown>);
    await assert.rejects(impl.update("drift", outs, news), (e: Error) => {
      assert.ok(e instanceof ConflictError);
      assert.match(
        e.message,
        /2 peer\(s\) were changed outside Pulumi: "drift-host1\.10-9-0-1" \(etcd has resourceVersion \d+, state has \d+\), "drift-host3\.10-9-0-1"/,
      );
      return true;
    });
    assert.equal(await revision(), r0, "nothing was written");
  });
});

describe("BgpPeerSet check", () => {
  it("runs BgpPeer's rules on every peer and names the peer in each failure", async () => {
    const r = await impl.check(
      {},
      {
        name: "bad",
        peers: [
          { name: "ok-1", peerIP: "10.0.0.1", asNumber: 64512 },
          { name: "bad-asn", peerIP: "10.0.0.2", asNumber: "65536.1" },
          { peerIP: "10.0.0.3", asNumber: 64512 },
          { name: "ok-1", peerIP: "10.0.0.4", asNumber: 64512 },
          { name: "adopting", peerIP: "10.0.0.5", asNumber: 64512, adopt: true },
        ],
      },
    );
    const reasons = (r.failures ?? []).map((f) => f.reason);
    assert.ok(
      reasons.some((x) => /^peers\["bad-asn"\]\.asNumber: /.test(x)),
      reasons.join("\n"),
    );
    assert.ok(
      reasons.some((x) => /^peers\[2\]\.name: /.test(x)),
      reasons.join("\n"),
    );
    assert.ok(
      reasons.some((x) => /^peers\["adopting"\]\.adopt: set adopt on the set/.test(x)),
      reasons.join("\n"),
    );
    assert.equal(r.inputs, undefined);
  });

  it("refuses two entries with one Calico name", async () => {
    const r = await impl.check(
      {},
      {
        name: "dup",
        peers: [
          { scope: "node", node: "h1", peerIP: "10.0.0.1", asNumber: 1 },
          { name: "h1.10-0-0-1", peerIP: "10.0.0.9", asNumber: 2 },
        ],
      },
    );
    assert.match(r.failures?.[0].reason ?? "", /peers\["h1\.10-0-0-1"\]: appears more than once/);
  });
});
