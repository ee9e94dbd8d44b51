import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { provider } from "../../provider";
import { InvalidInputError } from "../../provider/datastore/errors";
import { ETCD_MAX_VALUE_BYTES, filterKey, peerKey } from "../../provider/model/codec";
import { UNKNOWN } from "../../provider/model/spec";
import { etcdForProvider } from "../harness/etcd";

/**
 * What check accepts can be written, and nothing else is, against a real etcd with its default
 * limits (--max-request-bytes 1.5 MiB, --max-txn-ops 128): the largest accepted peers are written,
 * one more is refused at check, and inputs that did not come through check are refused at write.
 */
const etcd = etcdForProvider();

async function check(news: Record<string, unknown>) {
  return provider.check!({}, news);
}
async function revision() {
  return (await etcd.admin.get("/nothing").exec()).header.revision;
}

describe("limits of one write", () => {
  it("127 filters are written in one transaction; 128 are refused at check", async () => {
    const names = Array.from({ length: 128 }, (_, i) => `f${i}`);
    for (const n of names)
      await etcd.admin.put(filterKey(n)).value(`{"kind":"BGPFilter","apiVersion":"projectcalico.org/v3","metadata":{"name":"${n}"},"spec":{}}`);
    const ok = await check({ name: "many-filters", peerIP: "10.0.0.1", asNumber: 1, filters: names.slice(0, 127) });
    assert.deepEqual(ok.failures ?? [], []);
    await provider.create(ok.inputs);
    assert.equal(JSON.parse((await etcd.admin.get(peerKey("many-filters")).string())!).spec.filters.length, 127);
    const over = await check({ name: "too-many", peerIP: "10.0.0.1", asNumber: 1, filters: names });
    assert.equal(over.failures?.[0].property, "filters");
    assert.match(
      over.failures![0].reason,
      /^filters: names 128 distinct BGPFilters: at most 127 fit, because a write checks each in the one etcd transaction it is, and etcd takes at most 128 operations per transaction/,
    );
  });

  it("the largest annotation check accepts is written; one that JSON escaping takes past etcd's request size is refused at check", async () => {
    // Go escapes a NUL as \u0000: six bytes in the stored JSON for one character of annotation.
    const fits = Math.floor((ETCD_MAX_VALUE_BYTES - 200) / 6);
    const ok = await check({ name: "big-note", peerIP: "10.0.0.1", asNumber: 1, annotations: { note: "\u0000".repeat(fits) } });
    assert.deepEqual(ok.failures ?? [], []);
    await provider.create(ok.inputs);
    const stored = (await etcd.admin.get(peerKey("big-note")).string())!;
    assert.ok(stored.length > 1_500_000, `${stored.length} bytes stored`);
    const rev = await revision();
    const over = await check({ name: "too-big", peerIP: "10.0.0.1", asNumber: 1, annotations: { note: "\u0000".repeat(262_000) } });
    assert.equal(over.failures?.[0].property, "annotations");
    assert.match(over.failures![0].reason, /^annotations: make the stored value \d+ bytes as JSON: etcd takes requests of at most 1572864 bytes/);
    assert.equal(await revision(), rev);
  });
});

describe("inputs that did not come through check", () => {
  it("a value still unknown (the engine's placeholder) is refused at create and update, and nothing is written", async () => {
    const rev = await revision();
    await assert.rejects(provider.create({ name: "unknown-ip", peerIP: UNKNOWN, asNumber: 1 }), (e: Error) => {
      assert.ok(e instanceof InvalidInputError, e.name);
      assert.equal(e.message, 'BGPPeer "unknown-ip": peerIP is still unknown (Pulumi\'s placeholder for a value known only after an up). Nothing was written.');
      return true;
    });
    const c = await provider.create((await check({ name: "known", peerIP: "10.0.0.2", asNumber: 1 })).inputs);
    const rev2 = await revision();
    await assert.rejects(provider.update!("known", c.outs, { name: "known", peerIP: "10.0.0.2", asNumber: UNKNOWN }), InvalidInputError);
    assert.equal(await revision(), rev2);
    assert.equal(Number(rev2), Number(rev) + 1, "only the valid create wrote");
  });

  it("invalid inputs given straight to create are refused with the rule, and nothing is written", async () => {
    const rev = await revision();
    await assert.rejects(provider.create({ name: "bad", peerIP: "10.0.0.300", asNumber: 1 }), (e: Error) => {
      assert.ok(e instanceof InvalidInputError, e.name);
      assert.match(e.message, /^BGPPeer "bad": peerIP: "10\.0\.0\.300" is not a valid peer address.*\. Nothing was written\.$/);
      return true;
    });
    assert.equal(await revision(), rev);
  });

  it("keys starting with __ other than the engine's __provider are refused, not ignored", async () => {
    const r = await check({ name: "p", peerIP: "10.0.0.1", asNumber: 1, __provider: "exports.handler = …", __peerIP: "10.0.0.9" });
    assert.deepEqual(
      r.failures?.map((f) => f.reason),
      ["__peerIP: is not a BGPPeer input; see docs/reference.md#inputs for the inputs BgpPeer takes"],
    );
  });
});
