import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { type Case, type Decision, decide, type Held, type Judge, recordedValue } from "../../provider/core/decide";
import { desiredValue } from "../../provider/core/outputs";
import * as codec from "../../provider/model/codec";
import { decodeValue, peerKey } from "../../provider/model/codec";
import { OWNER_ANNOTATION } from "../../provider/model/keys";
import type { PeerInputs } from "../../provider/model/spec";
import { isOwnUid, markOf, ownedUid } from "../../provider/model/uid";

/**
 * The decision (core/decide.ts) as a table: every case a peer can be in, and what is done. The
 * two judges are the two kinds of datastore: etcd keeps a create's uid, the Kubernetes API
 * server assigns its own (then a stack knows its writes by its mark).
 */

const etcd: Judge = {
  holds: (value, kv) => kv?.value === value,
  isOwnWrite: (owner, peer) => isOwnUid(owner, peer.name, peer.uid),
};
const kube: Judge = {
  holds: (value, kv) =>
    kv !== undefined &&
    JSON.stringify({ ...JSON.parse(value), metadata: { ...JSON.parse(value).metadata, uid: 0 } }) ===
      JSON.stringify({ ...JSON.parse(kv.value), metadata: { ...JSON.parse(kv.value).metadata, uid: 0 } }),
  isOwnWrite: (owner, peer) => owner !== undefined && markOf(peer) === owner,
};

const OWNER = "fabric/prod";
const NOW = "2026-12-06T00:00:00Z";
const inputs = (over: Partial<PeerInputs> = {}): PeerInputs => ({ name: "p", peerIP: "10.0.0.1", asNumber: 64512, __owner: OWNER, ...over }) as PeerInputs;

function held(value: string, rev = "10"): Held {
  return { value, modRevision: rev, peer: decodeValue(peerKey("p"), value) };
}

/** A peer written by calicoctl: its own uid, no mark. */
function foreignMade(over: { asNumber?: number; mark?: string; uid?: string; rev?: string } = {}): Held {
  const annotations = over.mark ? { [OWNER_ANNOTATION]: over.mark } : undefined;
  return held(
    JSON.stringify({
      kind: "BGPPeer",
      apiVersion: "projectcalico.org/v3",
      metadata: { name: "p", uid: over.uid ?? "aaaaaaaa-1111-4222-8333-444444444444", creationTimestamp: "2021-01-01T00:00:00Z", annotations },
      spec: { peerIP: "10.0.0.1", asNumber: over.asNumber ?? 64512 },
    }),
    over.rev,
  );
}

/** What this stack's create of `i` leaves, and the state that recorded it. */
function ours(i: PeerInputs, rev = "10") {
  const meta = { uid: ownedUid(OWNER, "p"), creationTimestamp: NOW, resourceVersion: rev };
  const value = desiredValue(i, meta, undefined);
  // State keeps the mark among the parts the resource does not manage (outputs.ts preservedParts).
  const preserved = { metadata: { annotations: { [OWNER_ANNOTATION]: OWNER } } };
  return { stored: held(value, rev), recorded: { inputs: i, meta: { ...meta, preserved } } };
}

const act = (d: Decision) => (d.act === "refuse" ? `refuse:${d.refusal.kind}` : `${d.act}:${"why" in d ? d.why : ""}`);
const run = (c: Partial<Case>, judge = etcd) => decide({ name: "p", owner: OWNER, now: NOW, ...c }, judge);

describe("decide: a peer new to state", () => {
  it("nothing stored: create, with the stack's own uid", () => {
    const d = run({ declared: inputs() });
    assert.equal(act(d), "create:create");
    assert.equal(d.act === "create" && JSON.parse(d.value).metadata.uid, ownedUid(OWNER, "p"));
  });
  it("another tool's peer: refused without adopt, kept as it is with adopt, updated when it differs", () => {
    assert.deepEqual(run({ declared: inputs(), stored: foreignMade() }), {
      act: "refuse",
      refusal: { kind: "exists", uid: "aaaaaaaa-1111-4222-8333-444444444444", created: "2021-01-01T00:00:00Z" },
    });
    assert.equal(act(run({ declared: inputs({ adopt: true }), stored: foreignMade(), adopt: true })), "keep:adopt");
    const d = run({ declared: inputs({ adopt: true, asNumber: 64513 }), stored: foreignMade(), adopt: true });
    assert.equal(act(d), "update:adopt");
    assert.equal(d.act === "update" && d.rev, "10");
    assert.equal(d.act === "update" && JSON.parse(d.value).metadata.uid, "aaaaaaaa-1111-4222-8333-444444444444", "the uid is kept");
  });
  it("another tool's peer as declared is known by its bytes, without decoding what the adoption would write", () => {
    // The stored bytes are the adoption's value but for the stack's mark: what every peer of an
    // import's first up is. Labels and an annotation declared, and a label the program leaves alone.
    const declared = inputs({ adopt: true, labels: { rack: "r1" }, annotations: { note: "x" } });
    const meta = { uid: "aaaaaaaa-1111-4222-8333-444444444444", creationTimestamp: "2021-01-01T00:00:00Z" };
    const asFound = (peerIP: string) =>
      held(desiredValue({ ...declared, peerIP, labels: { ...declared.labels, extra: "y" }, __owner: undefined }, meta, undefined));
    const same = asFound("10.0.0.1");
    // An address spelled otherwise: other bytes, the same peer to Calico.
    const upper = asFound("2001:DB8::1");
    const decode = mock.method(codec, "decodeValue");
    try {
      assert.equal(act(run({ declared, stored: same, adopt: true })), "keep:adopt");
      assert.equal(decode.mock.callCount(), 0);
      assert.equal(act(run({ declared: { ...declared, peerIP: "2001:db8::1" }, stored: upper, adopt: true })), "keep:adopt");
      assert.equal(decode.mock.callCount(), 1, "other bytes are decoded and compared field by field");
    } finally {
      decode.mock.restore();
    }
  });
  it("another stack's peer: refused even with adopt: true, taken with force (and written, to move the mark)", () => {
    const theirs = foreignMade({ mark: "fabric/dev" });
    assert.deepEqual(run({ declared: inputs(), stored: theirs, adopt: true }), {
      act: "refuse",
      refusal: { kind: "foreign", mark: "fabric/dev", what: "adopted" },
    });
    assert.equal(act(run({ declared: inputs({ adopt: "force" }), stored: theirs, adopt: "force" })), "update:adopt");
  });
  it("this stack's own unrecorded write: taken back without adopt, by uid in etcd and by mark on Kubernetes", () => {
    const { stored } = ours(inputs());
    assert.equal(act(run({ declared: inputs(), stored })), "keep:reclaim");
    assert.equal(act(run({ declared: inputs({ asNumber: 1 }), stored })), "update:reclaim");
    // On Kubernetes the uid is the server's: the mark decides.
    const serverUid = held(stored.value.replace(ownedUid(OWNER, "p"), "cccccccc-1111-4222-8333-444444444444"));
    assert.equal(act(run({ declared: inputs(), stored: serverUid }, kube)), "keep:reclaim");
    assert.equal(act(run({ declared: inputs(), stored: serverUid }, etcd)), "refuse:exists");
  });
  it("a retry that meets its own first attempt: kept, even without a stack", () => {
    const i = inputs({ __owner: undefined });
    const first = run({ declared: i, owner: undefined });
    assert.equal(first.act, "create");
    const value = (first as { value: string }).value;
    assert.equal(act(run({ declared: i, owner: undefined, stored: held(value), attempted: value })), "keep:landed");
    assert.equal(act(run({ declared: i, owner: undefined, stored: held(value) })), "refuse:exists", "without the attempt, a random uid says nothing");
  });
});

describe("decide: a peer in state", () => {
  const { stored, recorded } = ours(inputs());
  it("unchanged in the program: nothing to write, from what is stored when it is ours, else from state (drift stays drift)", () => {
    assert.deepEqual(run({ declared: inputs(), recorded, stored }), { act: "keep", from: "stored", why: "unchanged" });
    assert.deepEqual(run({ declared: inputs(), recorded, stored: foreignMade({ asNumber: 1, rev: "11" }) }), {
      act: "keep",
      from: "recorded",
      why: "unchanged",
    });
  });
  it("changed in the program: update at the recorded revision; at another revision it is a conflict", () => {
    assert.deepEqual(pick(run({ declared: inputs({ asNumber: 2 }), recorded, stored })), { act: "update", rev: "10", why: "update" });
    const edited = held(stored.value.replace('"asNumber":64512', '"asNumber":7'), "11");
    assert.deepEqual(run({ declared: inputs({ asNumber: 2 }), recorded, stored: edited }), {
      act: "refuse",
      refusal: { kind: "changed", storedRev: "11", recordedRev: "10" },
    });
  });
  it("the same bytes at another revision are still ours (Calico rewrote them unchanged)", () => {
    assert.equal(act(run({ declared: inputs({ asNumber: 2 }), recorded, stored: held(stored.value, "12") })), "update:update");
  });
  it("what this write would leave is already there: kept (an up that failed in a later chunk)", () => {
    const next = desiredValue(inputs({ asNumber: 2 }), recorded.meta, recorded.meta.preserved);
    assert.equal(act(run({ declared: inputs({ asNumber: 2 }), recorded, stored: held(next, "12") })), "keep:landed");
  });
  it("deleted outside Pulumi: refused", () => {
    assert.deepEqual(run({ declared: inputs({ asNumber: 2 }), recorded }), { act: "refuse", refusal: { kind: "deleted" } });
  });
  it("taken over by another stack since: refused, naming it", () => {
    const taken = held(stored.value.replace(`"${OWNER}"`, '"fabric/dev"'), "11");
    assert.deepEqual(run({ declared: inputs({ asNumber: 2 }), recorded, stored: taken }), {
      act: "refuse",
      refusal: { kind: "foreign", mark: "fabric/dev", what: "updated" },
    });
  });
  it("recordedValue is the value the last write left", () => {
    assert.equal(recordedValue(recorded), stored.value);
  });
});

describe("decide: a peer to delete", () => {
  const { stored, recorded } = ours(inputs());
  it("deleted at its revision; gone already is fine; edited (same uid) is still deleted, at the new revision", () => {
    assert.deepEqual(run({ recorded, stored }), { act: "delete", rev: "10", why: "delete" });
    assert.equal(act(run({ recorded })), "keep:gone");
    assert.deepEqual(run({ recorded, stored: held(stored.value.replace('"asNumber":64512', '"asNumber":7'), "11") }), {
      act: "delete",
      rev: "11",
      why: "delete",
    });
  });
  it("re-created (another uid) or another stack's: refused", () => {
    assert.deepEqual(run({ recorded, stored: foreignMade({ uid: "dddddddd-1111-4222-8333-444444444444", rev: "11" }) }), {
      act: "refuse",
      refusal: { kind: "replaced", storedUid: "dddddddd-1111-4222-8333-444444444444", recordedUid: ownedUid(OWNER, "p") },
    });
    assert.equal(act(run({ recorded, stored: held(stored.value.replace(`"${OWNER}"`, '"fabric/dev"'), "11") })), "refuse:foreign");
  });
});

function pick(d: Decision) {
  const { act, rev, why } = d as { act: string; rev?: string; why?: string };
  return { act, rev, why };
}
