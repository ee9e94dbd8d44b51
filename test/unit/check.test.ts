import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeValue, encodeValue, goJson, PEER_PREFIX } from "../../provider/model/codec";
import { checkInputs, specEqual, UNKNOWN } from "../../provider/model/spec";

function failures(raw: Record<string, unknown>): string[] {
  const r = checkInputs(raw);
  assert.equal(r.inputs, undefined, "expected failures");
  return r.failures.map((f) => `${f.property}: ${f.reason}`);
}

describe("check: seed model", () => {
  it("derives calico-upgrade's names and normalizes", () => {
    assert.deepEqual(checkInputs({ scope: "node", hostname: "Rack1-Host1", peerIP: "192.168.1.1", asNumber: "63400" }).inputs, {
      node: "rack1-host1",
      peerIP: "192.168.1.1",
      asNumber: 63400,
      name: "rack1-host1.192-168-1-1",
    });
    assert.deepEqual(checkInputs({ scope: "global", peerIP: "2001:DB8::1", asNumber: "1.10" }).inputs, {
      peerIP: "2001:db8::1",
      asNumber: 65546,
      name: "2001-0db8-0000-0000-0000-0000-0000-0001",
    });
  });
  it("converts a v1 node name as calico-upgrade does: a run of other characters is one dash", () => {
    assert.deepEqual(checkInputs({ scope: "node", hostname: "rack1__host3", peerIP: "10.0.0.2", asNumber: 64512 }).inputs, {
      node: "rack1-host3",
      peerIP: "10.0.0.2",
      asNumber: 64512,
      name: "rack1-host3.10-0-0-2",
    });
    assert.deepEqual(failures({ scope: "node", node: "rack1 host3", peerIP: "10.0.0.2", asNumber: 64512 }), [
      'node: "rack1 host3" is not a valid v1 node name: in seed terms (scope or hostname given), a node name is 1 to 128 characters of [a-zA-Z0-9_.-], the v1 API\'s rule that `calicoctl convert` applies before converting (regex ^[a-zA-Z0-9_.-]{1,128}$)',
    ]);
    assert.match(
      failures({ hostname: "__", peerIP: "10.0.0.2", asNumber: 64512 })[0],
      /^hostname: "__" converts to "" under calico-upgrade's node-name conversion/,
    );
    // v3 terms take the name as it is: no conversion, and the v3 rule.
    assert.match(failures({ name: "p", node: "rack1__host3", peerIP: "10.0.0.2", asNumber: 64512 })[0], /^node: "rack1__host3" is not a valid Calico name/);
  });
  it("enforces scope rules", () => {
    assert.deepEqual(failures({ scope: "node", peerIP: "1.1.1.1", asNumber: 1 }), ['node: is required when scope is "node": name the Calico node that peers']);
    assert.match(failures({ scope: "global", node: "n1", peerIP: "1.1.1.1", asNumber: 1 })[0], /^node: "n1" must be absent when scope is "global"/);
    assert.match(failures({ scope: "rack", peerIP: "1.1.1.1", asNumber: 1 })[0], /^scope: "rack" is not a valid scope/);
    assert.match(failures({ hostname: "a", node: "b", peerIP: "1.1.1.1", asNumber: 1 })[0], /^hostname: "a" differs from node "b"/);
  });
});

describe("check: v3 rules", () => {
  const base = { name: "p1", peerIP: "10.0.0.1", asNumber: 64512 };
  it("applies every exclusivity rule with the field named", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, node: "n1", nodeSelector: "all()" }, /^node: must be empty when nodeSelector is specified/],
      [{ name: "p", peerIP: "10.0.0.1", peerSelector: "has(x)" }, /^peerIP: must be empty when peerSelector is specified/],
      [{ name: "p", asNumber: 1, peerSelector: "has(x)" }, /^asNumber: 1 must be empty when peerSelector is specified/],
      [{ name: "p", localWorkloadSelector: "has(x)" }, /^asNumber: is required when localWorkloadSelector is specified/],
      [{ name: "p", asNumber: 1, peerIP: "1.1.1.1", localWorkloadSelector: "has(x)" }, /^peerIP: must be empty when localWorkloadSelector/],
      [{ name: "p", peerSelector: "has(y)", localWorkloadSelector: "has(x)", asNumber: 1 }, /must be empty when localWorkloadSelector/],
      [{ name: "p", peerSelector: "has(y)", reachableBy: "10.0.0.254" }, /^reachableBy: "10.0.0.254" must be empty when peerIP is empty/],
      [{ ...base, reachableBy: "fd00::1" }, /^reachableBy: "fd00::1" and peerIP "10.0.0.1" are of different address families/],
      [{ ...base, keepOriginalNextHop: true, nextHopMode: "Self" }, /^keepOriginalNextHop: must not be true when nextHopMode is set/],
      [{ ...base, nextHopMode: "self" }, /^nextHopMode: "self" is not valid: it must be one of "Auto", "Self", "Keep"/],
      [{ ...base, sourceAddress: "NodeIP" }, /^sourceAddress: "NodeIP" is not valid/],
      [{ ...base, reversePeering: "Off" }, /^reversePeering: "Off" is not valid/],
      [{ ...base, ttlSecurity: 256 }, /^ttlSecurity: 256 is not valid: it must be an integer from 0 to 255/],
      [{ ...base, maxRestartTime: "2 minutes" }, /^maxRestartTime: "2 minutes" is not a valid duration/],
      [{ ...base, filters: ["ok", "Bad_Name"] }, /^filters\[1\]: "Bad_Name" is not a valid Calico name/],
      [{ name: "p", peerIP: "10.0.0.1" }, /^asNumber: is required for a peerIP peer/],
      [{ name: "p", node: "n1" }, /^peerIP: is required: a peer needs one of peerIP, peerSelector or localWorkloadSelector/],
      [{ ...base, labels: { "bad key!": "v" } }, /^labels\.bad key!: "bad key!" is not a valid label key/],
      [{ ...base, labels: { ok: "bad value!" } }, /^labels\.ok: "bad value!" is not a valid label value/],
      [{ ...base, password: { secretKeyRef: { name: "bgp", key: "a/b" } } }, /^password\.secretKeyRef\.key: "a\/b" is not a valid Secret key/],
      [{ ...base, peerIp: "1.1.1.1" }, /^peerIp: is not a BGPPeer input/],
      [{ ...base, asNumber: true }, /^asNumber: true is invalid/],
      [{ ...base, localASNumber: 0 }, /^localASNumber: 0 is not a usable local AS number/],
      [{ ...base, numAllowedLocalASNumbers: -1 }, /^numAllowedLocalASNumbers: -1 is not valid/],
      [{ peerIP: "10.0.0.1", asNumber: 1 }, /^name: is required/],
    ];
    for (const [input, re] of cases) {
      const got = failures(input);
      assert.ok(
        got.some((g) => re.test(g)),
        `${JSON.stringify(input)} → ${JSON.stringify(got)} does not match ${re}`,
      );
    }
  });
  it("reports one failure for one bad value, and every bad value at once", () => {
    assert.equal(failures({ name: "p", peerIP: "nope", asNumber: 1 }).length, 1);
    assert.equal(failures({ name: "P", peerIP: "nope", asNumber: "x", ttlSecurity: 999 }).length, 4);
    // A value of the wrong type is set aside and the other rules still run.
    assert.deepEqual(
      failures({ name: "a b", node: 42, peerIP: "10.0.0.1", asNumber: 1, bogus: 1 }).map((f) => f.split(":")[0]),
      ["node", "bogus", "name"],
    );
    assert.deepEqual(
      failures({ name: "p", peerIP: true }).map((f) => f.split(":")[0]),
      ["peerIP"],
      "no 'peerIP is required' on top of the type error",
    );
    // An invalid nextHopMode still conflicts with keepOriginalNextHop, as in Calico.
    assert.deepEqual(
      failures({ ...base, keepOriginalNextHop: true, nextHopMode: "auto" }).map((f) => f.split(":")[0]),
      ["nextHopMode", "keepOriginalNextHop"],
    );
  });
  it('treats "" as a value where Calico does, and as unset where Calico does', () => {
    assert.match(failures({ ...base, asNumber: "" })[0], /^asNumber: "" is not a valid AS number/);
    assert.match(failures({ ...base, localASNumber: "" })[0], /^localASNumber: "" is not a valid AS number/);
    assert.match(failures({ ...base, maxRestartTime: "" })[0], /^maxRestartTime: "" is not a valid duration/);
    assert.match(failures({ ...base, nextHopMode: "" })[0], /^nextHopMode: "" is not valid: it must be one of "Auto", "Self", "Keep"/);
    assert.match(failures({ ...base, reversePeering: "" })[0], /^reversePeering: "" is not valid/);
    assert.deepEqual(checkInputs({ ...base, sourceAddress: "", node: "", nodeSelector: "", reachableBy: "" }).inputs, { ...base, asNumber: 64512 });
  });
  it("never echoes the value of a secret-like field it does not know", () => {
    const got = failures({ ...base, etcdPassword: "hunter2" });
    assert.ok(
      got.every((g) => !g.includes("hunter2")),
      JSON.stringify(got),
    );
  });
  it("normalizes every field but the addresses, which are kept as typed (as calicoctl stores them) and compared by meaning", () => {
    const a = checkInputs({
      name: "p",
      peerIP: "2001:DB8:0::1",
      asNumber: "0.64512",
      maxRestartTime: "120s",
      keepaliveTime: "30s",
      reachableBy: "2001:db8:0::fe",
      ttlSecurity: 1,
      filters: ["f1"],
      password: { secretKeyRef: { name: "bgp-secrets", key: "rr" } },
      sourceAddress: "None",
      nextHopMode: "Self",
      labels: { a: "b" },
    }).inputs;
    assert.deepEqual(a, {
      name: "p",
      peerIP: "2001:DB8:0::1",
      asNumber: 64512,
      maxRestartTime: "2m0s",
      keepaliveTime: "30s",
      reachableBy: "2001:db8:0::fe",
      ttlSecurity: 1,
      filters: ["f1"],
      password: { secretKeyRef: { name: "bgp-secrets", key: "rr" } },
      sourceAddress: "None",
      nextHopMode: "Self",
      labels: { a: "b" },
    });
    // Every form calicoctl stores as typed is the same peer to calico-node, and so to diff.
    for (const [typed, canonical] of [
      ["2001:DB8:0:7::1", "2001:db8:0:7::1"],
      ["::ffff:10.0.0.1", "10.0.0.1"],
      ["10.0.0.1:00179", "10.0.0.1:179"],
      ["[10.0.0.1]:179", "10.0.0.1:179"],
      ["[2001:DB8::1]:0179", "[2001:db8::1]:179"],
    ]) {
      assert.equal(checkInputs({ name: "p", peerIP: typed, asNumber: 1 }).inputs!.peerIP, typed);
      assert.ok(specEqual("peerIP", typed, canonical), `${typed} is ${canonical}`);
    }
    assert.ok(specEqual("reachableBy", "2001:DB8::FE", "2001:db8::fe"));
    assert.ok(!specEqual("peerIP", "10.0.0.1:179", "10.0.0.1"), "a port is part of the peer");
    assert.ok(!specEqual("peerIP", "10.0.0.1", "10.0.0.2"));
    // In seed terms the peer IP is the v1 net.IP, stored as calico-upgrade stores it.
    assert.equal(checkInputs({ scope: "global", peerIP: "2001:DB8::1", asNumber: 1 }).inputs!.peerIP, "2001:db8::1");
  });
  it("names the input meant when a field name differs only in case (calicoctl matches it, we do not)", () => {
    // Reported once: not also as a missing peerIP, nor through rules that need it.
    assert.deepEqual(failures({ name: "p", peerIp: "10.0.0.1", asNumber: 1, reachableBy: "10.0.0.254" }), [
      "peerIp: is not a BGPPeer input: did you mean peerIP? calicoctl matches field names case-insensitively, BgpPeer takes them as spelled",
    ]);
    assert.match(failures({ name: "p", peerIP: "10.0.0.1", ASNUMBER: 1 })[0], /^ASNUMBER: is not a BGPPeer input: did you mean asNumber\?/);
    assert.match(failures({ name: "p", peerIP: "10.0.0.1", asNumber: 1, bogus: 1 })[0], /^bogus: is not a BGPPeer input; see docs\/reference\.md#inputs/);
  });
  it("tolerates unknown values during preview", () => {
    const r = checkInputs({ name: "p", peerIP: UNKNOWN, asNumber: UNKNOWN, node: "n1" });
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs!.peerIP, UNKNOWN);
    const seed = checkInputs({ scope: "node", node: UNKNOWN, peerIP: "10.0.0.1", asNumber: 1 });
    assert.deepEqual(seed.failures, []);
    assert.equal(seed.inputs!.name, UNKNOWN);
    assert.match(failures({ name: "p", peerIP: UNKNOWN, ttlSecurity: 999 })[0], /^ttlSecurity/);
  });
});

describe("codec", () => {
  it("writes exactly calicoctl's bytes for the reference example (§1.3)", () => {
    const v = encodeValue({
      name: "rack001-tor",
      uid: "1c9a4c2e-5f0b-4d8e-9a57-3e2f6b1d7c40",
      creationTimestamp: "2024-05-01T12:00:00Z",
      spec: { node: "rack1-host1", peerIP: "192.168.1.1", asNumber: 63400 },
    });
    assert.equal(
      v,
      '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"rack001-tor","uid":"1c9a4c2e-5f0b-4d8e-9a57-3e2f6b1d7c40","creationTimestamp":"2024-05-01T12:00:00Z"},"spec":{"node":"rack1-host1","peerIP":"192.168.1.1","asNumber":63400}}',
    );
  });
  it("HTML-escapes like Go and orders spec fields like the Go struct", () => {
    assert.equal(goJson({ s: "a == 'x' && b < c > d" }), '{"s":"a == \'x\' \\u0026\\u0026 b \\u003c c \\u003e d"}');
    const v = encodeValue({
      name: "p",
      uid: "u",
      creationTimestamp: "t",
      labels: { l: "1" },
      spec: { reversePeering: "Manual", peerSelector: "has(a)", nodeSelector: "all()" },
    });
    assert.equal(
      v,
      '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"p","uid":"u","creationTimestamp":"t","labels":{"l":"1"}},"spec":{"nodeSelector":"all()","peerSelector":"has(a)","reversePeering":"Manual"}}',
    );
    // The engine hands objects back with sorted keys; Go writes struct fields in declaration order
    // and map keys sorted.
    const w = encodeValue({
      name: "p",
      uid: "u",
      creationTimestamp: "t",
      labels: { z: "1", a: "2", "Z/x": "3" },
      annotations: { é: "1", f: "2" },
      spec: { peerIP: "10.0.0.1", asNumber: 1, password: { secretKeyRef: { optional: true, key: "k", name: "s" } } as any },
    });
    assert.equal(
      w,
      '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"p","uid":"u","creationTimestamp":"t","labels":{"Z/x":"3","a":"2","z":"1"},"annotations":{"f":"2","é":"1"}},"spec":{"peerIP":"10.0.0.1","asNumber":1,"password":{"secretKeyRef":{"name":"s","key":"k","optional":true}}}}',
    );
  });
  it("reads everything Calico ever wrote", () => {
    const old = decodeValue(
      `${PEER_PREFIX}p`,
      '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"p","uid":"u","creationTimestamp":"2019-01-01T00:00:00Z"},"spec":{"node":"","peerIP":"","asNumber":0,"nodeSelector":"","peerSelector":"rr == \'true\' \\u0026\\u0026 has(x)"}}',
    );
    assert.deepEqual(old.spec, { peerSelector: "rr == 'true' && has(x)" });
    const strs = decodeValue(
      `${PEER_PREFIX}q`,
      '{"metadata":{"name":"q"},"spec":{"peerIP":"2001:DB8::1","asNumber":"1.10","localASNumber":"64512","maxRestartTime":"120s","enterpriseField":{"x":1}}}',
    );
    assert.deepEqual(strs.spec, { peerIP: "2001:db8::1", asNumber: 65546, localASNumber: 64512, maxRestartTime: "2m0s" });
    assert.deepEqual((strs.raw.spec as Record<string, unknown>).enterpriseField, { x: 1 });
  });
  it("refuses values Calico itself cannot parse, naming the key", () => {
    assert.throws(() => decodeValue(`${PEER_PREFIX}bad`, "{not json"), /bgppeers\/bad is not a BGPPeer Calico can read.*calico-node ignores it/);
    assert.throws(() => decodeValue(`${PEER_PREFIX}bad`, '{"spec":{"asNumber":"abc"}}'), /asNumber/);
    assert.throws(() => decodeValue(`${PEER_PREFIX}bad`, '{"spec":{"ttlSecurity":300}}'), /ttlSecurity/);
    assert.throws(() => decodeValue(`${PEER_PREFIX}bad`, '{"metadata":{"creationTimestamp":"yesterday"},"spec":{}}'), /RFC 3339/);
  });
  it("keeps unknown fields on write-back", () => {
    const stored = decodeValue(
      `${PEER_PREFIX}p`,
      '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"p","uid":"u","generation":3,"creationTimestamp":"2020-01-01T00:00:00Z","labels":{"mine":"1","theirs":"2"}},"spec":{"peerIP":"1.1.1.1","asNumber":1,"failureDetectionMode":"BFDIfDirectlyConnected"},"status":{"x":1}}',
    );
    const v = encodeValue({
      name: "p",
      uid: "u",
      creationTimestamp: "2020-01-01T00:00:00Z",
      labels: { theirs: "2", mine: "9" },
      spec: { peerIP: "1.1.1.2", asNumber: 2 },
      base: stored.raw,
    });
    assert.equal(
      v,
      '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"p","uid":"u","generation":3,"creationTimestamp":"2020-01-01T00:00:00Z","labels":{"mine":"9","theirs":"2"}},"spec":{"peerIP":"1.1.1.2","asNumber":2,"failureDetectionMode":"BFDIfDirectlyConnected"},"status":{"x":1}}',
    );
  });
});
