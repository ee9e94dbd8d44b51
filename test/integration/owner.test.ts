import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { provider } from "../../provider";
import { closeClient } from "../../provider/datastore/client";
import { AlreadyExistsError } from "../../provider/datastore/errors";
import { peerKey } from "../../provider/model/codec";
import { ownedUid } from "../../provider/model/uid";
import type { SetOutputs } from "../../provider/set";
import { impl as setImpl } from "../../provider/set-impl";
import { startEtcd, type TestEtcd } from "../harness/etcd";

/**
 * A stack recognizes its own writes that state never recorded (the provider process killed, or the
 * answer lost, after the write landed) by the uid it gives each peer, and takes them back without
 * `adopt`; a peer of any other stack or tool is still refused. Against a real etcd.
 */
let etcd: TestEtcd;
before(async () => {
  etcd = await startEtcd();
  process.env.ETCD_ENDPOINTS = etcd.endpoint;
});
after(async () => {
  closeClient();
  await etcd?.stop();
});

const OWNER = "fabric/prod";
async function revision(): Promise<bigint> {
  return BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
}
async function uidOf(name: string): Promise<string> {
  return JSON.parse((await etcd.admin.get(peerKey(name)).string())!).metadata.uid;
}
async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
  const r = await provider.check!(olds, news);
  assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
  return r.inputs;
}

describe("BgpPeer: the stack's own uid", () => {
  it("is a name-based UUID of the stack and the Calico name, given at create", async () => {
    const inputs = await checked({ name: "own-1", peerIP: "10.0.0.1", asNumber: 64512, __owner: OWNER });
    assert.equal(inputs.__owner, OWNER);
    await provider.create!(inputs);
    const uid = await uidOf("own-1");
    assert.equal(uid, ownedUid(OWNER, "own-1"));
    assert.match(uid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(ownedUid("fabric/dev", "own-1"), uid);
  });

  it("lets the next up take back a peer it wrote but never recorded, without adopt and without a write", async () => {
    // State lost the create: the same inputs come again, as new.
    const news = { name: "own-1", peerIP: "10.0.0.1", asNumber: 64512, __owner: OWNER };
    const r0 = await revision();
    const inputs = await checked(news);
    const created = await provider.create!(inputs);
    assert.equal(await revision(), r0, "equal: no write");
    assert.equal(created.outs.uid, ownedUid(OWNER, "own-1"));
    assert.equal(created.outs.adopt, undefined, "taken back, not adopted");
    // Different inputs since: one guarded write that keeps the uid.
    const changed = await provider.create!(await checked({ ...news, asNumber: 64513 }));
    assert.equal(await revision(), r0 + 1n);
    assert.equal(changed.outs.uid, ownedUid(OWNER, "own-1"));
  });

  it("still refuses, at preview and at create, a peer that another stack or calicoctl wrote", async () => {
    const news = { name: "own-1", peerIP: "10.0.0.1", asNumber: 64513, __owner: "fabric/dev" };
    const r = await provider.check!({}, news);
    assert.match(r.failures?.[0].reason ?? "", /already exists in etcd .* not managed by this stack/);
    const inputs = (await provider.check!({ name: "own-1" }, news)).inputs;
    const r0 = await revision();
    await assert.rejects(provider.create!(inputs), AlreadyExistsError);
    await assert.rejects(provider.create!({ ...inputs, __owner: undefined }), AlreadyExistsError);
    assert.equal(await revision(), r0);
  });

  it("refuses an owner that is not a string, which only the resource class sets", async () => {
    const r = await provider.check!({}, { name: "x", peerIP: "10.0.0.1", asNumber: 1, __owner: 7 });
    assert.match(r.failures?.[0].reason ?? "", /^__owner: 7 is not a stack/);
  });
});

describe("BgpPeerSet: the stack's own uid", () => {
  const peers = [1, 2, 3].map((h) => ({ scope: "node", node: `own-h${h}`, peerIP: "10.9.0.1", asNumber: 65009 }));

  it("takes back the peers of a create that state never recorded, and refuses those of another stack", async () => {
    const first = await setImpl.check({}, { name: "own-set", peers, __owner: OWNER });
    const created = await setImpl.create(first.inputs as never);
    const stored = (created.outs as SetOutputs).stored;
    assert.equal(stored["own-h1.10-9-0-1"].uid, ownedUid(OWNER, "own-h1.10-9-0-1"));
    // State lost it; a fourth peer is new.
    const again = [...peers, { scope: "node", node: "own-h4", peerIP: "10.9.0.1", asNumber: 65009 }];
    const check = await setImpl.check({}, { name: "own-set", peers: again, __owner: OWNER });
    assert.deepEqual(check.failures ?? [], [], "preview accepts the stack's own peers");
    const r0 = await revision();
    const recreated = await setImpl.create(check.inputs as never);
    assert.equal(await revision(), r0 + 1n, "one transaction: only the new peer");
    assert.equal((recreated.outs as SetOutputs).stored["own-h2.10-9-0-1"].uid, stored["own-h2.10-9-0-1"].uid);
    const other = await setImpl.check({}, { name: "own-set", peers: again, __owner: "other/stack" });
    assert.match(other.failures?.[0].reason ?? "", /peers\["own-h1\.10-9-0-1"\]: BGPPeer "own-h1\.10-9-0-1" already exists in etcd/);
    await assert.rejects(setImpl.create({ ...(check.inputs as object), __owner: "other/stack" } as never), AlreadyExistsError);
    assert.equal(await revision(), r0 + 1n);
  });
});
