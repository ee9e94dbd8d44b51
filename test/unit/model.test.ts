import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAsn } from "../../provider/model/asn";
import { formatDuration, normalizeDuration, parseDuration } from "../../provider/model/duration";
import { RuleError } from "../../provider/model/errors";
import { formatPeerIP, parseIP, parsePeerIP } from "../../provider/model/ip";
import { checkName, convertNodeName, convertV1NodeName, ipToName } from "../../provider/model/names";
import { canonicalSelector } from "../../provider/model/selector";

function ruleError(fn: () => unknown): RuleError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RuleError, `expected a RuleError, got ${e}`);
    return e;
  }
  assert.fail("expected a RuleError");
}

describe("asNumber (numorstring.ASNumber)", () => {
  it("accepts numbers, decimal strings and dotted notation as Calico's tests do", () => {
    assert.equal(parseAsn("asNumber", 63400), 63400);
    assert.equal(parseAsn("asNumber", "63400"), 63400);
    assert.equal(parseAsn("asNumber", "1.10"), 65546);
    assert.equal(parseAsn("asNumber", "65535.65535"), 4294967295);
    assert.equal(parseAsn("asNumber", "00.01"), 1);
    assert.equal(parseAsn("asNumber", 4294967295), 4294967295);
  });
  it("rejects what Calico rejects, naming field, value and rule", () => {
    for (const bad of ["1.1.1", "65536.65535", "65535.65536", "0.-1", -1, 4294967296, 1.5, "", "abc", "+1"]) {
      const e = ruleError(() => parseAsn("asNumber", bad));
      assert.equal(e.property, "asNumber");
      assert.match(e.reason, /is not a valid AS number/);
      assert.ok(e.reason.includes(JSON.stringify(bad)), e.reason);
    }
  });
});

describe("durations (Go time.ParseDuration / Duration.String)", () => {
  it("prints like Go", () => {
    assert.equal(formatDuration(0n), "0s");
    assert.equal(formatDuration(120_000_000_000n), "2m0s");
    assert.equal(formatDuration(3_600_000_000_000n), "1h0m0s");
    assert.equal(formatDuration(1_500_000n), "1.5ms");
    assert.equal(formatDuration(1_500n), "1.5µs");
    assert.equal(formatDuration(999n), "999ns");
    assert.equal(formatDuration(90_500_000_000n), "1m30.5s");
  });
  it("normalizes equal durations to one spelling", () => {
    for (const s of ["120s", "2m", "2m0s", "0.0333333333333333333h", "120000ms"]) {
      assert.equal(normalizeDuration("maxRestartTime", s), s.startsWith("0.03") ? "1m59.999999999s" : "2m0s");
    }
    assert.equal(normalizeDuration("x", "1h1m1s1ms1us1ns"), "1h1m1.001001001s");
    assert.equal(normalizeDuration("x", ".5s"), "500ms");
    assert.equal(normalizeDuration("x", "0"), "0s");
    assert.equal(parseDuration("x", "5.s"), 5_000_000_000n);
  });
  it("rejects bad and negative durations", () => {
    for (const bad of ["", "5", "5sec", "s", ".s", "1hm", "abc", "-1s"]) {
      const e = ruleError(() => parseDuration("keepaliveTime", bad));
      assert.equal(e.property, "keepaliveTime");
      assert.ok(e.reason.includes(JSON.stringify(bad)));
    }
    assert.match(ruleError(() => parseDuration("k", "-1s")).reason, /negative/);
    assert.match(ruleError(() => parseDuration("k", "3000000h")).reason, /out of range/);
  });
});

describe("peerIP (processIPPort)", () => {
  const ok = (s: string) => formatPeerIP(parsePeerIP("peerIP", s));
  it("accepts Calico's valid forms and normalizes them", () => {
    assert.equal(ok("1.2.3.4"), "1.2.3.4");
    assert.equal(ok("2001:DB8::1"), "2001:db8::1");
    assert.equal(ok("1.2.3.4:179"), "1.2.3.4:179");
    assert.equal(ok("[2001:db8:0:0::1]:179"), "[2001:db8::1]:179");
    assert.equal(ok("1.2.3.4:0179"), "1.2.3.4:179");
    assert.equal(ok("::ffff:10.0.0.1"), "10.0.0.1");
  });
  it("rejects Calico's invalid forms", () => {
    for (const bad of [
      "[2001:db8::1]",
      "1.2.3.4:",
      ":179",
      "1.2.3.4:0",
      "1.2.3.4:65536",
      "192.168.0.330:170",
      "010.1.1.1",
      "fe80::1%eth0",
      "1a2b3c4:179",
      "host.example",
    ]) {
      const e = ruleError(() => parsePeerIP("peerIP", bad));
      assert.equal(e.property, "peerIP");
      assert.ok(e.reason.includes(JSON.stringify(bad)), e.reason);
    }
  });
});

describe("names", () => {
  it("checks DNS-1123 subdomains with Calico's message", () => {
    checkName("name", "rack1-host1.10-0-0-1");
    assert.match(ruleError(() => checkName("name", "Rack_1")).reason, /lower case alphanumeric characters, '-' or '.'/);
    assert.match(ruleError(() => checkName("name", "a".repeat(254))).reason, /too long by 1 bytes/);
  });
  it("gives calico-upgrade's names", () => {
    assert.equal(ipToName(parseIP("10.0.0.1")!), "10-0-0-1");
    assert.equal(ipToName(parseIP("aa:bb::")!), "00aa-00bb-0000-0000-0000-0000-0000-0000");
    assert.equal(convertNodeName("namedNode"), "namednode");
    assert.equal(convertNodeName("Rack1_Host1"), "rack1-host1");
    assert.equal(convertNodeName("a/b.-.c--d."), "a.b.c--d");
  });
});

describe("v1 node-name conversion (calico-upgrade, calicoctl convert)", () => {
  // libcalico-go lib/upgrade/converters/names_test.go nodeNamesTable, every entry, in its order.
  const CALICO_TABLE: Array<[string, string]> = [
    ["abc-def", "abc-def"],
    ["abc---def", "abc---def"],
    ["abc/def", "abc.def"],
    ["abc$$def", "abc-def"],
    ["abc$!$def", "abc-def"],
    ["abc..def", "abc.def"],
    ["abc...def", "abc.def"],
    ["abc.-def", "abc.def"],
    ["abc.-.def", "abc.def"],
    ["abc-.def", "abc.def"],
    ["abc-.-def", "abc.def"],
    ["aBcDe019", "abcde019"],
    ["abc$def", "abc-def"],
    ["-abc.def", "abc.def"],
    ["abc.def-", "abc.def"],
    [".abc.def", "abc.def"],
    ["abc.def.", "abc.def"],
    ["-.abc.def", "abc.def"],
    ["abc.def.-", "abc.def"],
    ["$ABC/DEF-123.-456!", "abc.def-123.456"],
  ];
  // Runs of characters outside [-.a-z0-9] become one dash, mixed with dots and dashes around them.
  const RUNS: Array<[string, string]> = [
    ["rack1__host3", "rack1-host3"],
    ["rack1_-_host3", "rack1---host3"],
    ["a__.__b", "a.b"],
    ["__a__", "a"],
    ["A B\tC", "a-b-c"],
    ["x\ny", "x-y"],
    ["___", ""],
    ["..--..", ""],
  ];
  it("matches Calico's own table", () => {
    for (const [v1, v3] of CALICO_TABLE) assert.equal(convertNodeName(v1), v3, v1);
  });
  it("replaces each run of other characters with one dash", () => {
    for (const [v1, v3] of RUNS) assert.equal(convertNodeName(v1), v3, JSON.stringify(v1));
  });
  it("in seed terms: the v1 rule first, then the conversion, then the v3 rule on the result", () => {
    assert.equal(convertV1NodeName("node", "rack1__host3"), "rack1-host3");
    assert.equal(convertV1NodeName("node", "Rack1.-Host1"), "rack1.host1");
    for (const bad of ["abc$$def", "a b", "a/b", "", "x".repeat(129), "höst"]) {
      assert.match(
        ruleError(() => convertV1NodeName("node", bad)).reason,
        /is not a valid v1 node name: .*1 to 128 characters of \[a-zA-Z0-9_.-\]/,
        JSON.stringify(bad),
      );
    }
    assert.equal(convertV1NodeName("node", "x".repeat(128)), "x".repeat(128));
    for (const [bad, to] of [
      ["___", ""],
      ["-.-", ""],
      ["_", ""],
    ]) {
      const e = ruleError(() => convertV1NodeName("hostname", bad));
      assert.equal(e.property, "hostname");
      assert.equal(
        e.reason,
        `${JSON.stringify(bad)} converts to ${JSON.stringify(to)} under calico-upgrade's node-name conversion, which is not a valid Calico node name, so \`calicoctl convert\` refuses it too`,
      );
    }
  });
});

describe("selectors (libcalico-go selector parser)", () => {
  it("accepts the language and gives one canonical form for equal selectors", () => {
    assert.equal(canonicalSelector("s", "a == 'x' && b == \"y\""), '(a == "x" && b == "y")');
    assert.equal(canonicalSelector("s", "a=='x'&&b=='y'"), canonicalSelector("s", "a == 'x' && b == 'y'"));
    assert.equal(canonicalSelector("s", "k in {'b','a','a'}"), 'k in {"a", "b"}');
    assert.equal(canonicalSelector("s", "!has(i-am-a-route-reflector)"), "!has(i-am-a-route-reflector)");
    assert.equal(canonicalSelector("s", ""), "all()");
    assert.equal(canonicalSelector("s", "all()"), "all()");
    assert.equal(canonicalSelector("s", "global()"), "global()");
    assert.equal(
      canonicalSelector("s", "rack starts with 'r1' || rack ends with \"9\" || x contains 'y' || z not in {}"),
      '(rack starts with "r1" || rack ends with "9" || x contains "y" || z not in {})',
    );
  });
  it("rejects what Calico's parser rejects", () => {
    for (const bad of [
      "a",
      "a = 'x'",
      "a == x",
      "a == 'x",
      "has(",
      "has(a",
      "(a == 'x'",
      "a == 'x' &",
      "a == 'x' b == 'y'",
      "a in {'x'",
      "a foo 'x'",
      "$x == 'y'",
    ]) {
      const e = ruleError(() => canonicalSelector("peerSelector", bad));
      assert.equal(e.property, "peerSelector");
      assert.match(e.reason, /is not a valid Calico selector/);
    }
  });
});
