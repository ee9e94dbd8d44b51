import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backend } from "../../provider/core/session";
import type { SetOutputs } from "../../provider/core/set";
import type { Backend } from "../../provider/datastore/api";
import { AlreadyExistsError, ConflictError, type DatastoreError, FilterMissingError, NotFoundError } from "../../provider/datastore/errors";
import { impl as peer } from "../../provider/dynamic/peer-provider";
import { impl as set } from "../../provider/dynamic/set-provider";
import { OWNER_ANNOTATION } from "../../provider/model/keys";
import { ownedUid } from "../../provider/model/uid";

/**
 * The scenarios of one peer and of a set that every datastore must pass alike: create, adoption,
 * ownership, conflicts and deletes, with the class, the fields and the words of every refusal.
 * Written once; run against a real etcd, a real kube-apiserver and the in-memory backend
 * (scenarios-*.test.ts), each of which points the provider at its store before these run.
 *
 * Out-of-band changes go through the datastore's own backend, as calicoctl's writes would: a v3
 * object in Calico's form, with no stack's mark unless the scenario gives one.
 */
export interface StoreUnderTest {
  /** "etcd" or "the Kubernetes datastore": what every message must name. */
  storeName: string;
  /** A prefix for peer names, so that runs against one store do not meet. */
  prefix: string;
  /** A BGPFilter created in the store (each datastore has its own way); the scenarios name it in filters. */
  createFilter(name: string): Promise<void>;
}

type Json = Record<string, any>;

const b = (): Backend => backend();

/** Every peer's revision: equal before and after means nothing was written to peers. */
async function snapshot(): Promise<string> {
  const { peers } = await b().listPeers();
  return JSON.stringify(peers.map(([n, kv]) => [n, kv.modRevision]));
}

/** A peer as calicoctl creates it, or replaces it when it exists. */
async function outOfBand(name: string, spec: Json, meta: Json = {}): Promise<void> {
  const value = JSON.stringify({
    kind: "BGPPeer",
    apiVersion: "projectcalico.org/v3",
    metadata: { name, uid: "aaaaaaaa-1111-4222-8333-444444444444", creationTimestamp: "2021-01-01T00:00:00Z", ...meta },
    spec,
  });
  const kv = await b().getPeer(name);
  const r = kv ? await b().updatePeer(name, value, kv.modRevision, []) : await b().createPeer(name, value, []);
  assert.ok(r.ok, `out-of-band write of ${name}`);
}

async function edit(name: string, change: (o: Json) => void): Promise<void> {
  const kv = (await b().getPeer(name))!;
  const o = JSON.parse(kv.value);
  change(o);
  const r = await b().updatePeer(name, JSON.stringify(o), kv.modRevision, []);
  assert.ok(r.ok, `out-of-band edit of ${name}`);
}

async function remove(name: string): Promise<void> {
  const kv = (await b().getPeer(name))!;
  await b().deletePeer(name, kv.modRevision);
}

async function stored(name: string) {
  const kv = await b().getPeer(name);
  return kv?.peer;
}

async function checked(news: Json, olds: Json = { name: news.name }): Promise<Json> {
  const r = await peer.check(olds, news);
  assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
  return r.inputs as Json;
}

function refusedWith<T extends DatastoreError>(cls: new (...a: any[]) => T, fields: Partial<Record<keyof T, unknown>>, words: RegExp) {
  return (e: Error) => {
    assert.ok(e instanceof cls, `${e.name}: ${e.message}`);
    for (const [k, v] of Object.entries(fields)) assert.deepEqual((e as any)[k], v, `${k} of ${e.message}`);
    assert.match(e.message, words);
    return true;
  };
}

export function peerScenarios(s: StoreUnderTest): void {
  const n = (x: string) => `${s.prefix}-${x}`;
  const store = s.storeName.replace(/[.]/g, "\\.");

  describe(`one peer (${s.storeName})`, () => {
    it("an existing peer is refused without adopt, at preview and at create, naming the store; nothing is written", async () => {
      await outOfBand(n("exists"), { peerIP: "10.0.0.7", asNumber: 64512 });
      // The Kubernetes API server gives the object a uid of its own.
      const { uid } = (await stored(n("exists")))!;
      const before = await snapshot();
      const pv = await peer.check({}, { name: n("exists"), peerIP: "10.0.0.7", asNumber: 64512 });
      assert.equal(pv.failures?.[0].property, "");
      const words = new RegExp(
        `^BGPPeer "${n("exists")}" already exists in ${store} \\(uid ${uid}, created 2021-01-01T00:00:00Z\\) and is not managed by this stack\\. Nothing was written\\. To bring it under Pulumi management, set \`adopt: true\` on this BgpPeer`,
      );
      assert.match(pv.failures![0].reason, words);
      await assert.rejects(
        peer.create(await checked({ name: n("exists"), peerIP: "10.0.0.7", asNumber: 64512 })),
        refusedWith(AlreadyExistsError, { peer: n("exists"), datastore: s.storeName, written: "nothing", operation: "create" }, words),
      );
      assert.equal(await snapshot(), before);
    });

    it("adopt takes a peer as it is with no write, and with a change in one write keeping uid, creationTimestamp and what it does not manage", async () => {
      await outOfBand(n("adopt"), { peerIP: "10.0.0.8", asNumber: 64512 }, { labels: { rack: "r1" }, annotations: { note: "by hand" } });
      const before = await snapshot();
      const same = await peer.create(await checked({ name: n("adopt"), peerIP: "10.0.0.8", asNumber: 64512, adopt: true }));
      assert.equal(await snapshot(), before, "no write");
      assert.equal(same.outs.uid, (await stored(n("adopt")))!.uid);
      const changed = await peer.create(await checked({ name: n("adopt"), peerIP: "10.0.0.8", asNumber: 64513, adopt: true, labels: { tier: "tor" } }));
      const now = (await stored(n("adopt")))!;
      assert.equal(now.spec.asNumber, 64513);
      assert.deepEqual(now.labels, { rack: "r1", tier: "tor" });
      assert.equal(now.annotations.note, "by hand");
      assert.equal(now.creationTimestamp, "2021-01-01T00:00:00Z");
      assert.equal(changed.outs.uid, same.outs.uid);
    });

    it("an update over a change made outside Pulumi is a conflict naming both revisions; after a read it applies", async () => {
      const inputs = await checked({ name: n("conflict"), peerIP: "10.0.0.9", asNumber: 64512 });
      const made = await peer.create(inputs);
      await edit(n("conflict"), (o) => {
        o.spec.asNumber = 64999;
      });
      const rv = (await b().getPeer(n("conflict")))!.modRevision;
      const before = await snapshot();
      await assert.rejects(
        peer.update(n("conflict"), made.outs, { ...inputs, asNumber: 64513 }),
        refusedWith(
          ConflictError,
          { peer: n("conflict"), datastore: s.storeName, written: "nothing" },
          new RegExp(
            `was changed outside Pulumi: ${store} has resourceVersion ${rv}, state has ${made.outs.resourceVersion}\\. Nothing was written\\. Run \`pulumi refresh\``,
          ),
        ),
      );
      assert.equal(await snapshot(), before);
      const read = await peer.read(n("conflict"), made.outs);
      const updated = await peer.update(n("conflict"), read.props as never, { ...inputs, asNumber: 64513 });
      assert.equal((await stored(n("conflict")))!.spec.asNumber, 64513);
      assert.equal(updated.outs.uid, made.outs.uid);
    });

    it("an update of a peer deleted outside Pulumi is NotFound; nothing is written", async () => {
      const inputs = await checked({ name: n("gone"), peerIP: "10.0.0.10", asNumber: 64512 });
      const made = await peer.create(inputs);
      await remove(n("gone"));
      await assert.rejects(
        peer.update(n("gone"), made.outs, { ...inputs, asNumber: 2 }),
        refusedWith(
          NotFoundError,
          { peer: n("gone"), written: "nothing" },
          /was deleted outside Pulumi\. Nothing was written\. Run `pulumi refresh` to drop it/,
        ),
      );
      assert.equal(await stored(n("gone")), undefined);
    });

    it("delete: gone already is fine; an edited peer is deleted; a re-created one is refused", async () => {
      const inputs = await checked({ name: n("del"), peerIP: "10.0.0.11", asNumber: 64512 });
      const a = await peer.create(inputs);
      await peer.delete(n("del"), a.outs);
      await peer.delete(n("del"), a.outs);
      assert.equal(await stored(n("del")), undefined);
      const c = await peer.create(inputs);
      await edit(n("del"), (o) => {
        o.spec.asNumber = 1;
      });
      await peer.delete(n("del"), c.outs);
      assert.equal(await stored(n("del")), undefined, "the same object, edited, is still ours to delete");
      const d = await peer.create(inputs);
      await remove(n("del"));
      await outOfBand(n("del"), { peerIP: "10.0.0.11", asNumber: 64512 }, { uid: "bbbbbbbb-1111-4222-8333-444444444444" });
      const kept = (await stored(n("del")))!.uid;
      await assert.rejects(
        peer.delete(n("del"), d.outs),
        refusedWith(ConflictError, { peer: n("del") }, /is a different object from the one this stack created/),
      );
      assert.equal((await stored(n("del")))!.uid, kept);
    });

    it("a stack takes back its own unrecorded write without adopt and without a write; another stack's peer is refused by its mark", async () => {
      const mine = await checked({ name: n("own"), peerIP: "10.0.0.12", asNumber: 64512, __owner: "fabric/prod" }, {});
      const first = await peer.create(mine);
      const before = await snapshot();
      // State lost the create (a killed up): the next up meets the peer.
      const again = await peer.check({}, { name: n("own"), peerIP: "10.0.0.12", asNumber: 64512, __owner: "fabric/prod" });
      assert.deepEqual(again.failures ?? [], []);
      const back = await peer.create(again.inputs as Json);
      assert.equal(await snapshot(), before, "taken back with no write");
      assert.equal(back.outs.uid, first.outs.uid);
      if (s.storeName === "etcd") assert.equal(first.outs.uid, ownedUid("fabric/prod", n("own")));
      assert.equal((await stored(n("own")))!.annotations[OWNER_ANNOTATION], "fabric/prod");
      const theirs = await peer.check({}, { name: n("own"), peerIP: "10.0.0.12", asNumber: 64512, adopt: true, __owner: "fabric/dev" });
      assert.match(
        theirs.failures?.[0].reason ?? "",
        /is managed by the Pulumi stack "fabric\/prod" \(its pulumi-calico-bgppeer\/stack annotation\), not by this one \("fabric\/dev"\); it was not adopted\. Nothing was written\./,
      );
      await assert.rejects(
        peer.create({ ...(again.inputs as Json), adopt: true, __owner: "fabric/dev" }),
        refusedWith(AlreadyExistsError, { peer: n("own") }, /managed by the Pulumi stack "fabric\/prod"/),
      );
      assert.equal(await snapshot(), before);
    });

    it("a missing BGPFilter is refused with the names missing; once it exists, the peer is created", async () => {
      const inputs = await checked({ name: n("filtered"), peerIP: "10.0.0.13", asNumber: 64512, filters: [`${s.prefix}-f`] });
      const before = await snapshot();
      await assert.rejects(
        peer.create(inputs),
        refusedWith(
          FilterMissingError,
          { missing: [`${s.prefix}-f`], peer: n("filtered") },
          new RegExp(`filters: BGPFilter "${s.prefix}-f" not found in ${store}\\. Nothing was written\\.`),
        ),
      );
      assert.equal(await snapshot(), before);
      await s.createFilter(`${s.prefix}-f`);
      await peer.create(inputs);
      assert.deepEqual((await stored(n("filtered")))!.spec.filters, [`${s.prefix}-f`]);
    });
  });

  describe(`a set of peers (${s.storeName})`, () => {
    const peers = (rack: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({ scope: "node", node: `${s.prefix}-${rack}-h${i + 1}`, peerIP: "10.9.0.1", asNumber: 65009 }));
    const key = (rack: string, h: number) => `${s.prefix}-${rack}-h${h}.10-9-0-1`;

    it("refuses existing peers at preview and at up with the same words, naming the store, with one error per peer", async () => {
      await outOfBand(key("taken", 2), { node: `${s.prefix}-taken-h2`, peerIP: "10.9.0.1", asNumber: 65009 });
      const before = await snapshot();
      const news = { name: n("taken"), peers: peers("taken", 3) };
      const pv = await set.check({}, news);
      const words = new RegExp(
        `^BgpPeerSet "${n("taken")}": 1 peer\\(s\\) already exist in ${store} and are not managed by this stack: "${key("taken", 2)}"\\.`,
      );
      assert.match(pv.failures?.[0].reason ?? "", words);
      // Checked as if the peer were in state already, so that check's own refusal does not stop this.
      const inputs = (await set.check({ name: n("taken"), peers: { [key("taken", 2)]: {} } }, news)).inputs as never;
      await assert.rejects(set.create(inputs), (e: Error) => {
        assert.ok(e instanceof AlreadyExistsError);
        assert.equal(e.message, pv.failures![0].reason, "preview and up say the same");
        assert.deepEqual([e.set, e.datastore, e.written], [n("taken"), s.storeName, "nothing"]);
        assert.equal(e.peers?.length, 1);
        assert.ok(e.peers![0] instanceof AlreadyExistsError);
        assert.match(e.peers![0].message, new RegExp(`already exists in ${store} .* set \`adopt: true\` on the set`));
        return true;
      });
      assert.equal(await snapshot(), before);
      const adopted = await set.create({ ...(inputs as Json), adopt: true } as never);
      assert.equal(Object.keys((adopted.outs as SetOutputs).stored).length, 3);
    });

    it("names every peer changed or deleted outside Pulumi, and writes nothing", async () => {
      const inputs = (await set.check({ name: n("drift"), peers: {} }, { name: n("drift"), peers: peers("drift", 3) })).inputs as Json;
      const made = (await set.create(inputs as never)).outs as SetOutputs;
      await edit(key("drift", 1), (o) => {
        o.spec.asNumber = 1;
      });
      await remove(key("drift", 3));
      const before = await snapshot();
      const news = { ...inputs, peers: Object.fromEntries(Object.entries(inputs.peers as Json).map(([k, v]) => [k, { ...v, asNumber: 65010 }])) };
      await assert.rejects(set.update(n("drift"), made, news as never), (e: Error) => {
        assert.ok(e instanceof ConflictError, e.message);
        assert.match(
          e.message,
          new RegExp(`1 peer\\(s\\) were changed outside Pulumi: "${key("drift", 1)}" \\(${store} has resourceVersion \\d+, state has \\d+\\)`),
        );
        assert.match(e.message, new RegExp(`1 peer\\(s\\) were deleted outside Pulumi: "${key("drift", 3)}"`));
        assert.deepEqual(
          e.peers!.map((p) => [p.name, p.peer]),
          [
            ["ConflictError", key("drift", 1)],
            ["NotFoundError", key("drift", 3)],
          ],
        );
        return true;
      });
      assert.equal(await snapshot(), before);
    });
  });
}
