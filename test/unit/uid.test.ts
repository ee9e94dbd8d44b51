import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { checkInputs } from "../../provider/model/spec";
import { createUid, isOwnUid, ownedUid } from "../../provider/model/uid";

describe("the uid a create gives", () => {
  it("is an RFC 9562 version 5 UUID of the stack and the name, the same every time", () => {
    const u = ownedUid("fabric/prod", "rack1-host1.10-0-0-1");
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(ownedUid("fabric/prod", "rack1-host1.10-0-0-1"), u);
    assert.notEqual(ownedUid("fabric/dev", "rack1-host1.10-0-0-1"), u);
    assert.notEqual(ownedUid("fabric/prod", "rack1-host2.10-0-0-1"), u);
    // The same digest computed independently: SHA-1 over the namespace and the name, 16 bytes, version and variant set.
    const h = createHash("sha1").update(Buffer.from("6f1c3e1a9d2b4c7e8a5f0b3d2e1c4a96", "hex")).update("fabric/prod\nrack1-host1.10-0-0-1").digest();
    assert.equal(u.replace(/-/g, "").slice(0, 12), h.subarray(0, 6).toString("hex"));
    assert.ok(isOwnUid("fabric/prod", "rack1-host1.10-0-0-1", u));
    assert.ok(!isOwnUid(undefined, "rack1-host1.10-0-0-1", u));
  });

  it("is random, as calicoctl's, when no stack is known", () => {
    assert.notEqual(createUid(undefined, "x"), createUid(undefined, "x"));
    assert.match(createUid(undefined, "x"), /^[0-9a-f]{8}-[0-9a-f]{4}-4/);
  });

  it("comes through check with the stack the resource class passes", () => {
    const r = checkInputs({ name: "p", peerIP: "10.0.0.1", asNumber: 1, __owner: "fabric/prod" });
    assert.equal(r.inputs?.__owner, "fabric/prod");
    assert.match(checkInputs({ name: "p", peerIP: "10.0.0.1", asNumber: 1, __owner: ["x"] }).failures[0].reason, /is not a stack/);
  });

  it("is told from calicoctl's random ones by its version before any hashing, and only the stack's own matches", () => {
    for (let i = 0; i < 500; i++) {
      assert.equal(ownedUid(`proj/stack${i % 7}`, `rack${i}-host${i * 3}.10-0-${i % 250}-1`)[14], "5");
    }
    assert.equal(isOwnUid("p/s", "edge", ownedUid("p/s", "edge")), true);
    assert.equal(isOwnUid("p/s", "edge", ownedUid("p/other", "edge")), false);
    assert.equal(isOwnUid("p/s", "edge", randomUUID()), false);
    assert.equal(isOwnUid("p/s", "edge", undefined), false);
  });
});
