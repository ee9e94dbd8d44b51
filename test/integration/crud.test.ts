import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { provider } from "../../provider";
import { peerKey } from "../../provider/model/codec";
import { etcdForProvider } from "../harness/etcd";

const etcd = etcdForProvider();

/** check's normalized inputs, as for a peer already in state (old inputs given), so check reads nothing; its preview read is tested on its own. */
async function checked(news: Record<string, unknown>) {
  const r = await provider.check!({ name: news.name }, news);
  assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
  return r.inputs as Record<string, unknown>;
}
async function stored(name: string) {
  const kv = await etcd.admin.get(peerKey(name)).exec();
  return kv.kvs[0] ? { value: JSON.parse(kv.kvs[0].value.toString()), text: kv.kvs[0].value.toString(), rev: kv.kvs[0].mod_revision } : undefined;
}
async function revision() {
  return (await etcd.admin.get("/nothing").exec()).header.revision;
}

describe("check of a new peer (preview)", () => {
  it("reads its key once: an existing peer fails without adopt, is accepted with it, and nothing is written", async () => {
    await etcd.admin
      .put(peerKey("pre-existing"))
      .value(
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"pre-existing","uid":"99999999-2222-4333-8444-555555555555","creationTimestamp":"2020-02-02T02:02:02Z"},"spec":{"peerIP":"10.0.0.7","asNumber":64512}}',
      );
    const rev = await revision();
    const before = await etcd.rpcCounts();
    const r = await provider.check!({}, { name: "pre-existing", peerIP: "10.0.0.7", asNumber: 64512 });
    assert.equal(r.failures?.[0].property, "", "a refusal of the peer as a whole");
    assert.match(
      r.failures![0].reason,
      /^BGPPeer "pre-existing" already exists in etcd \(uid 99999999-2222-4333-8444-555555555555, created 2020-02-02T02:02:02Z\) and is not managed by this stack\. Nothing was written\. To bring it under Pulumi management, set `adopt: true`/,
    );
    const after = await etcd.rpcCounts();
    assert.equal((after["KV.Range"] ?? 0) - (before["KV.Range"] ?? 0), 1, "one read");
    const adopting = await provider.check!({}, { name: "pre-existing", peerIP: "10.0.0.7", asNumber: 64513, adopt: true });
    assert.deepEqual(adopting.failures ?? [], []);
    const fresh = await provider.check!({}, { name: "not-there-yet", peerIP: "10.0.0.8", asNumber: 1 });
    assert.deepEqual(fresh.failures ?? [], []);
    // A peer already in state (old inputs given) is not read: a no-op preview reads nothing.
    const b2 = await etcd.rpcCounts();
    await provider.check!({ name: "pre-existing" }, { name: "pre-existing", peerIP: "10.0.0.7", asNumber: 64512 });
    assert.equal((await etcd.rpcCounts())["KV.Range"] ?? 0, b2["KV.Range"] ?? 0);
    assert.equal(await revision(), rev);
    await etcd.admin.delete().key(peerKey("pre-existing"));
  });
});

describe("create", () => {
  it("writes the key and value Calico writes (§1.3), with uid and creationTimestamp", async () => {
    const res = await provider.create(await checked({ name: "rack001-tor", node: "rack1-host1", peerIP: "192.168.1.1", asNumber: 63400 }));
    const s = await stored("rack001-tor");
    assert.ok(s);
    assert.match(s.value.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(s.value.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(
      s.text,
      `{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"rack001-tor","uid":"${s.value.metadata.uid}","creationTimestamp":"${s.value.metadata.creationTimestamp}"},"spec":{"node":"rack1-host1","peerIP":"192.168.1.1","asNumber":63400}}`,
    );
    assert.equal(res.id, "rack001-tor");
    assert.equal(res.outs.resourceVersion, s.rev);
    assert.equal(res.outs.key, undefined, "key is derived in the program, not stored");
    assert.equal(res.outs.uid, s.value.metadata.uid);
  });

  it("adopts with adopt: true, keeping uid and creationTimestamp, writing only if the spec differs", async () => {
    await etcd.admin
      .put(peerKey("ext1"))
      .value(
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"ext1","uid":"11111111-2222-4333-8444-555555555555","creationTimestamp":"2020-02-02T02:02:02Z","labels":{"owner":"netops"}},"spec":{"peerIP":"10.0.0.1","asNumber":"64512"}}',
      );
    const same = await stored("ext1");
    const r1 = await provider.create(await checked({ name: "ext1", peerIP: "10.0.0.1", asNumber: 64512, adopt: true }));
    assert.deepEqual(await stored("ext1"), same, "equal spec: nothing written");
    assert.equal(r1.outs.uid, "11111111-2222-4333-8444-555555555555");
    assert.equal(r1.outs.resourceVersion, same!.rev);

    await provider.delete!("ext1", r1.outs); // start again to adopt with a change
    await etcd.admin.put(peerKey("ext1")).value(same!.text);
    const r2 = await provider.create(await checked({ name: "ext1", peerIP: "10.0.0.1", asNumber: 64513, adopt: true }));
    const after = await stored("ext1");
    assert.equal(after!.value.spec.asNumber, 64513);
    assert.equal(after!.value.metadata.uid, "11111111-2222-4333-8444-555555555555");
    assert.equal(after!.value.metadata.creationTimestamp, "2020-02-02T02:02:02Z");
    assert.deepEqual(after!.value.metadata.labels, { owner: "netops" }, "labels we do not manage survive");
    assert.equal(r2.outs.resourceVersion, after!.rev);
  });
});

describe("update", () => {
  it("compares the mod revision, keeps uid, creationTimestamp and every field it does not manage", async () => {
    await etcd.admin
      .put(peerKey("upd"))
      .value(
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"upd","uid":"aaaaaaaa-2222-4333-8444-555555555555","generation":7,"creationTimestamp":"2021-01-01T00:00:00Z","labels":{"theirs":"x"},"annotations":{"note":"keep"}},"spec":{"peerIP":"10.1.1.1","asNumber":1,"failureDetectionMode":"BFDIfDirectlyConnected","newerField":[1,2]},"status":{"kept":true}}',
      );
    const created = await provider.create(await checked({ name: "upd", peerIP: "10.1.1.1", asNumber: 1, labels: { mine: "1" }, adopt: true }));
    const news = await checked({ name: "upd", peerIP: "10.1.1.1", asNumber: "0.65000", labels: { mine: "2" }, keepaliveTime: "30s", adopt: true });
    const d = await provider.diff!("upd", created.outs, news);
    assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false });
    const upd = await provider.update!("upd", created.outs, news);
    const s = await stored("upd");
    assert.equal(
      s!.text,
      '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"upd","uid":"aaaaaaaa-2222-4333-8444-555555555555","generation":7,"creationTimestamp":"2021-01-01T00:00:00Z","labels":{"mine":"2","theirs":"x"},"annotations":{"note":"keep"}},"spec":{"peerIP":"10.1.1.1","asNumber":65000,"keepaliveTime":"30s","failureDetectionMode":"BFDIfDirectlyConnected","newerField":[1,2]},"status":{"kept":true}}',
    );
    assert.equal(upd.outs!.resourceVersion, s!.rev);
    assert.deepEqual(upd.outs!.labels, { mine: "2" });

    // A label we managed and no longer declare is removed; theirs stays.
    const news2 = await checked({ name: "upd", peerIP: "10.1.1.1", asNumber: 65000, keepaliveTime: "30s" });
    await provider.update!("upd", upd.outs, news2);
    assert.deepEqual((await stored("upd"))!.value.metadata.labels, { theirs: "x" });
  });
});

describe("read", () => {
  it("returns current props and inputs so drift shows, and an empty id when the key is gone", async () => {
    const c = await provider.create(await checked({ name: "drift", peerIP: "10.4.4.4", asNumber: 4, labels: { env: "lab" } }));
    const s = await stored("drift");
    s!.value.spec.asNumber = 44;
    s!.value.metadata.labels.extra = "y";
    await etcd.admin.put(peerKey("drift")).value(JSON.stringify(s!.value));
    const r = await provider.read!("drift", c.outs);
    assert.equal(r.id, "drift");
    assert.equal(r.props!.asNumber, 44);
    assert.deepEqual(r.props!.labels, { env: "lab" }, "only managed labels are reported");
    assert.deepEqual(r.inputs, { name: "drift", peerIP: "10.4.4.4", asNumber: 44, labels: { env: "lab" } });
    const d = await provider.diff!("drift", r.props, await checked({ name: "drift", peerIP: "10.4.4.4", asNumber: 4, labels: { env: "lab" } }));
    assert.equal(d.changes, true);
    await etcd.admin.delete().key(peerKey("drift"));
    assert.equal((await provider.read!("drift", r.props)).id, "");
  });

  it("reads pre-v3.17 values, string and dotted ASNs and HTML-escaped selectors without a diff", async () => {
    await etcd.admin
      .put(peerKey("old-style"))
      .value(
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"old-style","uid":"bbbbbbbb-2222-4333-8444-555555555555","creationTimestamp":"2019-06-01T00:00:00Z"},"spec":{"node":"","peerIP":"","asNumber":0,"nodeSelector":"rack == \'r1\' \\u0026\\u0026 has(bgp)","peerSelector":"has(route-reflector)","futureField":true}}',
      );
    await etcd.admin
      .put(peerKey("string-asn"))
      .value(
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"string-asn","uid":"cccccccc-2222-4333-8444-555555555555","creationTimestamp":"2019-06-01T00:00:00Z"},"spec":{"peerIP":"2001:DB8::1","asNumber":"1.10","maxRestartTime":"120s"}}',
      );
    const r1 = await provider.read!("old-style");
    const want1 = await checked({ name: "old-style", nodeSelector: "rack=='r1'&&has(bgp)", peerSelector: "has(route-reflector)" });
    assert.deepEqual(await provider.diff!("old-style", r1.props, want1), { changes: false, replaces: [], deleteBeforeReplace: false });
    const r2 = await provider.read!("string-asn");
    assert.equal(r2.props!.asNumber, 65546);
    const want2 = await checked({ name: "string-asn", peerIP: "2001:db8:0::1", asNumber: 65546, maxRestartTime: "2m" });
    assert.deepEqual(await provider.diff!("string-asn", r2.props, want2), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("names the key when the stored value is one Calico cannot parse", async () => {
    await etcd.admin.put(peerKey("corrupt")).value('{"spec":{"asNumber":"abc"}}');
    await assert.rejects(provider.read!("corrupt"), /bgppeers\/corrupt is not a BGPPeer Calico can read/);
  });
});

describe("diff", () => {
  it("reports no change for unchanged inputs and ignores __provider", async () => {
    const inputs = await checked({ name: "nodiff", peerIP: "10.5.5.5", asNumber: 5 });
    const c = await provider.create(inputs);
    assert.deepEqual(await provider.diff!("nodiff", { ...c.outs, __provider: "old" }, { ...inputs, __provider: "new" }), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
  it("replaces only when the Calico name changes", async () => {
    const c = await provider.create(await checked({ name: "ren-a", peerIP: "10.6.6.6", asNumber: 6 }));
    assert.deepEqual(await provider.diff!("ren-a", c.outs, await checked({ name: "ren-b", peerIP: "10.6.6.6", asNumber: 6 })), {
      changes: true,
      replaces: ["name"],
      deleteBeforeReplace: false,
    });
    assert.deepEqual((await provider.diff!("ren-a", c.outs, await checked({ name: "ren-a", node: "n9", peerIP: "10.6.6.7", asNumber: 7 }))).replaces, []);
  });
});
