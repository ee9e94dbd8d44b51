import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSelector } from "../../provider/model/selector";

/** Selector evaluation on a label set, as libcalico-go's ast.go Evaluate does it. */
describe("parseSelector().matches", () => {
  const l = { rack: "r1", role: "tor-a", "projectcalico.org/namespace": "x" };
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ["rack == 'r1'", l, true],
    ["rack == 'r2'", l, false],
    ["missing == ''", l, false],
    ["rack != 'r2'", l, true],
    ["missing != 'x'", l, true],
    ["has(rack)", l, true],
    ["!has(rack)", l, false],
    ["rack in {'r1', 'r3'}", l, true],
    ["missing in {''}", l, false],
    ["missing not in {'a'}", l, true],
    ["rack not in {'r1'}", l, false],
    ["role contains 'tor'", l, true],
    ["role starts with 'tor'", l, true],
    ["role ends with '-a'", l, true],
    ["missing contains ''", l, false],
    ["all()", {}, true],
    ["", {}, true],
    ["global()", l, false],
    ["global()", {}, true],
    ["rack == 'r1' && (role == 'x' || has(rack))", l, true],
    ["!(rack == 'r1') || role == 'x'", l, false],
  ];
  for (const [sel, labels, want] of cases) {
    it(`${JSON.stringify(sel)} on ${JSON.stringify(labels)} is ${want}`, () => {
      assert.equal(parseSelector("selector", sel).matches(labels), want);
    });
  }

  it("keeps the canonical text", () => {
    assert.equal(parseSelector("s", "rack=='r1'&&has( x )").text, '(rack == "r1" && has(x))');
  });
});
