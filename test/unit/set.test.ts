import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setChanges } from "../../provider/core/changes";
import { chunk, type SetPeer } from "../../provider/core/set";
import type { SetWrite } from "../../provider/datastore/api";
import { MAX_TXN_OPS } from "../../provider/datastore/etcd/txn";
import { checkSet } from "../../provider/dynamic/set-provider";
import { checkInputs, UNKNOWN } from "../../provider/model/spec";

const put = (name: string, filters: string[] = [], bytes = 100): SetWrite => ({ op: "create", name, value: "x".repeat(bytes), filters });

describe("chunk", () => {
  it("packs 128 writes a transaction", () => {
    const parts = chunk(
      Array.from({ length: 300 }, (_, i) => put(`p${i}`)),
      MAX_TXN_OPS,
    );
    assert.deepEqual(
      parts.map((p) => p.length),
      [128, 128, 44],
    );
  });

  it("counts each distinct BGPFilter as a compare", () => {
    const own = chunk(
      Array.from({ length: 128 }, (_, i) => put(`p${i}`, [`f${i}`])),
      MAX_TXN_OPS,
    );
    assert.deepEqual(
      own.map((p) => p.length),
      [64, 64],
    );
    const shared = chunk(
      Array.from({ length: 128 }, (_, i) => put(`p${i}`, ["one"])),
      MAX_TXN_OPS,
    );
    assert.deepEqual(
      shared.map((p) => p.length),
      [127, 1],
    );
  });

  it("keeps a transaction under etcd's request size", () => {
    const parts = chunk(
      Array.from({ length: 10 }, (_, i) => put(`p${i}`, [], 600_000)),
      MAX_TXN_OPS,
    );
    assert.deepEqual(
      parts.map((p) => p.length),
      [2, 2, 2, 2, 2],
    );
    assert.deepEqual(chunk([], MAX_TXN_OPS), []);
  });
});

describe("setChanges", () => {
  const a: Record<string, SetPeer> = {
    x: { peerIP: "10.0.0.1", asNumber: 65001, labels: { rack: "r1" } },
    y: { peerIP: "10.0.0.2", asNumber: 65001 },
  };
  it("names each added, removed and changed peer and field, and nothing unchanged", () => {
    const b: Record<string, SetPeer> = {
      x: { peerIP: "10.0.0.1", asNumber: 65002, labels: { rack: "r2", new: "v" } },
      z: { peerIP: "10.0.0.3", asNumber: 65001 },
    };
    assert.deepEqual(setChanges(a, b), [
      '~ peers["x"].asNumber: 65001 => 65002',
      '~ peers["x"].labels["new"]: (unset) => "v"',
      '~ peers["x"].labels["rack"]: "r1" => "r2"',
      '- peers["y"]',
      '+ peers["z"]',
    ]);
    assert.deepEqual(setChanges(a, structuredClone(a)), []);
  });
});

describe("checkSet", () => {
  it("keys the peers by Calico name and normalizes each exactly as BgpPeer's check does", () => {
    const entries = [
      { scope: "node", node: "rack1-host1", peerIP: "10.1.0.1", asNumber: "1.10" },
      { name: "rr", peerIP: "2001:DB8::0:10", asNumber: 64512, keepaliveTime: "1m30s" },
    ];
    const r = checkSet({ name: "rack1", peers: entries });
    assert.deepEqual(r.failures, []);
    const asPeer = entries.map((e) => checkInputs(e).inputs!);
    assert.deepEqual(r.inputs, {
      name: "rack1",
      peers: Object.fromEntries(asPeer.map(({ name, ...rest }) => [name, rest])),
    });
    assert.deepEqual(Object.keys(r.inputs!.peers), ["rack1-host1.10-1-0-1", "rr"]);
    assert.equal(r.inputs!.peers["rack1-host1.10-1-0-1"].asNumber, 65546);
  });

  it("takes a map by Calico name", () => {
    const r = checkSet({ name: "s", peers: { "a-peer": { peerIP: "10.0.0.1", asNumber: 1 } }, adopt: true });
    assert.deepEqual(r.inputs, { name: "s", peers: { "a-peer": { peerIP: "10.0.0.1", asNumber: 1 } }, adopt: true });
  });

  it("refuses what is not a list or map of peers, and inputs it does not take", () => {
    assert.match(checkSet({ name: "s", peers: "x" }).failures[0].reason, /^peers: must be a list/);
    assert.match(checkSet({ name: "s", peers: [], hosts: [] }).failures[0].reason, /^hosts: is not an input of BgpPeerSet/);
    assert.match(checkSet({ name: "s", peers: [7] }).failures[0].reason, /^peers\[0\]: must be an object/);
  });

  it("passes a peer list still unknown at preview through, and a peer whose name is unknown makes the map unknown", () => {
    assert.equal(checkSet({ name: "s", peers: UNKNOWN }).inputs?.peers, UNKNOWN as unknown);
    const r = checkSet({ name: "s", peers: [{ scope: "node", node: UNKNOWN, peerIP: "10.0.0.1", asNumber: 1 }] });
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs?.peers, UNKNOWN as unknown);
  });
});
