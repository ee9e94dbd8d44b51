import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { provider } from "../../provider";
import type { SetOutputs } from "../../provider/core/set";
import { AlreadyExistsError } from "../../provider/datastore/errors";
import { impl as setImpl } from "../../provider/dynamic/set-provider";
import { peerKey } from "../../provider/model/codec";
import { OWNER_ANNOTATION } from "../../provider/model/keys";
import { ownedUid } from "../../provider/model/uid";
import { etcdForProvider } from "../harness/etcd";

/**
 * A stack recognizes its own writes that state never recorded (the provider process killed, or the
 * answer lost, after the write landed) by the uid it gives each peer, and takes them back without
 * `adopt`; a peer of any other stack or tool is still refused. Against a real etcd.
 */
const etcd = etcdForProvider();

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

  it("marks what it writes with the stack, and refuses another stack's peer at preview and at create, naming the owner", async () => {
    const stored = JSON.parse((await etcd.admin.get(peerKey("own-1")).string())!);
    assert.deepEqual(stored.metadata.annotations, { [OWNER_ANNOTATION]: OWNER });
    const news = { name: "own-1", peerIP: "10.0.0.1", asNumber: 64513, __owner: "fabric/dev" };
    for (const adopt of [undefined, true]) {
      const r = await provider.check!({}, { ...news, adopt });
      assert.equal(r.failures?.[0].property, "", "a refusal of the peer as a whole, whether or not the program set adopt");
      assert.match(
        r.failures![0].reason,
        /^BGPPeer "own-1" is managed by the Pulumi stack "fabric\/prod" \(its pulumi-calico-bgppeer\/stack annotation\), not by this one \("fabric\/dev"\); it was not adopted/,
      );
      assert.match(r.failures![0].reason, /adopt: "force"/);
    }
    const inputs = (await provider.check!({ name: "own-1" }, { ...news, adopt: true })).inputs;
    const r0 = await revision();
    await assert.rejects(
      provider.create!(inputs),
      (e: Error) => e instanceof AlreadyExistsError && /managed by the Pulumi stack "fabric\/prod"/.test(e.message),
    );
    await assert.rejects(provider.create!({ ...inputs, __owner: undefined }), AlreadyExistsError);
    assert.equal(await revision(), r0);
  });

  it("takes another stack's peer only with adopt: force, marking it; the first stack may then neither update nor delete it", async () => {
    const before = (await provider.read!("own-1", { name: "own-1", __owner: OWNER } as never)).props as Record<string, unknown>;
    const r0 = await revision();
    const forced = await provider.create!(await checked({ name: "own-1", peerIP: "10.0.0.1", asNumber: 64513, adopt: "force", __owner: "fabric/dev" }));
    assert.equal(await revision(), r0 + 1n, "a forced takeover writes, even with an equal spec, so that the mark names its new stack");
    assert.equal(forced.outs.uid, ownedUid(OWNER, "own-1"), "the uid is kept");
    const stored = JSON.parse((await etcd.admin.get(peerKey("own-1")).string())!);
    assert.equal(stored.metadata.annotations[OWNER_ANNOTATION], "fabric/dev");
    const r1 = await revision();
    const refreshed = (await provider.read!("own-1", before as never)).props as Record<string, unknown>;
    const update = await checked({ name: "own-1", peerIP: "10.0.0.1", asNumber: 64600, __owner: OWNER }, { name: "own-1" });
    await assert.rejects(provider.update!("own-1", refreshed as never, update), (e: Error) =>
      /BGPPeer "own-1" is managed by the Pulumi stack "fabric\/dev" .* not by this one \("fabric\/prod"\); it was not updated/.test(e.message),
    );
    await assert.rejects(provider.delete!("own-1", refreshed as never), /it was not deleted/);
    await assert.rejects(
      provider.delete!("own-1", before as never),
      /managed by the Pulumi stack "fabric\/dev"/,
      "also with the state from before the takeover",
    );
    // Nor take it back as its own write: the uid is still the one it gave, but the mark is not.
    const again = await checked({ name: "own-1", peerIP: "10.0.0.1", asNumber: 64513, __owner: OWNER }, { name: "own-1" });
    await assert.rejects(provider.create!(again), /managed by the Pulumi stack "fabric\/dev"/);
    assert.equal(await revision(), r1);
    await provider.delete!("own-1", forced.outs);
    assert.equal(await etcd.admin.get(peerKey("own-1")).string(), null);
  });

  it("adopts an unmarked peer without a write; the first stack to write marks it, and the other is refused from then on", async () => {
    await etcd.admin
      .put(peerKey("legacy-1"))
      .value(
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"legacy-1","uid":"u-legacy","creationTimestamp":"2020-01-01T00:00:00Z"},"spec":{"peerIP":"10.0.0.7","asNumber":64512}}',
      );
    const r0 = await revision();
    const peer = (asNumber: number, owner: string) => ({ name: "legacy-1", peerIP: "10.0.0.7", asNumber, adopt: true, __owner: owner });
    const a = await provider.create!(await checked(peer(64512, "team/a")));
    const b = await provider.create!(await checked(peer(64512, "team/b")));
    assert.equal(await revision(), r0, "two equal adoptions write nothing (an unmarked peer has no owner yet)");
    await provider.update!("legacy-1", a.outs, await checked(peer(64513, "team/a"), { name: "legacy-1" }));
    const bRefreshed = (await provider.read!("legacy-1", b.outs)).props;
    await assert.rejects(
      provider.update!("legacy-1", bRefreshed, await checked(peer(64514, "team/b"), { name: "legacy-1" })),
      /managed by the Pulumi stack "team\/a"/,
    );
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
    const other = await setImpl.check({}, { name: "own-set", peers: again, adopt: true, __owner: "other/stack" });
    assert.equal(other.failures?.[0].property, "");
    assert.match(
      other.failures?.[0].reason ?? "",
      /^BgpPeerSet "own-set": 4 peer\(s\) are managed by other Pulumi stacks .*"own-h1\.10-9-0-1" \(stack "fabric\/prod"\)/,
    );
    await assert.rejects(
      setImpl.create({ ...(check.inputs as object), adopt: true, __owner: "other/stack" } as never),
      /BgpPeerSet "own-set": 4 peer\(s\) are managed by other Pulumi stacks .*"own-h1\.10-9-0-1" \(stack "fabric\/prod"\)/,
    );
    assert.equal(await revision(), r0 + 1n);
  });
});
