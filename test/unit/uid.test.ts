import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { isOwnUid, ownedUid } from "../../provider/model/uid";

describe("a stack's own uids", () => {
  it("are version 5 UUIDs, which isOwnUid tells from calicoctl's random ones before hashing", () => {
    for (let i = 0; i < 500; i++) {
      const uid = ownedUid(`proj/stack${i % 7}`, `rack${i}-host${i * 3}.10-0-${i % 250}-1`);
      assert.match(uid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    assert.equal(isOwnUid("p/s", "edge", ownedUid("p/s", "edge")), true);
    assert.equal(isOwnUid("p/s", "edge", ownedUid("p/other", "edge")), false);
    assert.equal(isOwnUid("p/s", "edge", randomUUID()), false);
    assert.equal(isOwnUid("p/s", "edge", undefined), false);
    assert.equal(isOwnUid(undefined, "edge", ownedUid("p/s", "edge")), false);
  });
});
