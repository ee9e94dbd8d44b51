import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { provider } from "../../provider";
import { closeClient } from "../../provider/datastore/etcd/connection";
import { CLUSTER_INFORMATION_KEY, peerKey } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";

/**
 * Calico versions against real etcds that declare them, as calico-node does, in ClusterInformation
 * "default": one on v3.31.0, one on v3.32.0, one that declares nothing yet.
 */
let v331: TestEtcd;
let v332: TestEtcd;
let unknown: TestEtcd;
let v333: TestEtcd;

/** A valid selector of `n` characters or a few more. */
function longSelector(n: number): string {
  let s = "has(x)";
  while (s.length < n) s += " && has(x)";
  return s;
}

function clusterInformation(version: string): string {
  return JSON.stringify({
    kind: "ClusterInformation",
    apiVersion: "projectcalico.org/v3",
    metadata: { name: "default", uid: "6d1f3b7e-1111-4222-8333-944444444444", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { clusterGUID: "0123456789abcdef0123456789abcdef", clusterType: "typha,bgp", calicoVersion: version, datastoreReady: true },
  });
}
function use(etcd: TestEtcd) {
  process.env.ETCD_ENDPOINTS = etcd.endpoint;
}
/** check's normalized inputs, as for a peer already in state (old inputs given), so check reads nothing; its preview read is tested on its own. */
async function checked(news: Record<string, unknown>) {
  const r = await provider.check!({ name: news.name }, news);
  assert.deepEqual(r.failures ?? [], [], JSON.stringify(r.failures));
  return r.inputs as Record<string, unknown>;
}
async function revision(etcd: TestEtcd) {
  return (await etcd.admin.get("/nothing").exec()).header.revision;
}
async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    delete process.env[name];
  }
}

before(async () => {
  [v331, v332, unknown, v333] = await Promise.all([startEtcd(), startEtcd(), startEtcd(), startEtcd()]);
  await v331.admin.put(CLUSTER_INFORMATION_KEY).value(clusterInformation("v3.31.0"));
  await v332.admin.put(CLUSTER_INFORMATION_KEY).value(clusterInformation("v3.32.0"));
  await v333.admin.put(CLUSTER_INFORMATION_KEY).value(clusterInformation("v3.33.0"));
});
after(async () => {
  closeClient();
  delete process.env.ETCD_ENDPOINTS;
  await Promise.all([v331?.stop(), v332?.stop(), unknown?.stop(), v333?.stop()]);
});

describe("a datastore that declares Calico v3.31.0", { concurrency: false }, () => {
  it("a peer of v3.0 fields costs one transaction and no version read", async () => {
    use(v331);
    const before = await v331.rpcCounts();
    await provider.create(await checked({ name: "plain", node: "n1", peerIP: "10.0.0.1", asNumber: 64512 }));
    const after = await v331.rpcCounts();
    assert.equal((after["KV.Txn"] ?? 0) - (before["KV.Txn"] ?? 0), 1);
    assert.equal((after["KV.Range"] ?? 0) - (before["KV.Range"] ?? 0), 0, "no ClusterInformation read");
  });

  it("refuses keepaliveTime (Calico v3.32) at create, naming the field, the release and the source, and writes nothing", async () => {
    use(v331);
    const rev = await revision(v331);
    await assert.rejects(provider.create(await checked({ name: "ka", peerIP: "10.0.0.2", asNumber: 64512, keepaliveTime: "30s" })), (e: Error) => {
      assert.equal(
        e.message,
        'BGPPeer "ka": keepaliveTime: is not supported by Calico v3.31.0 (ClusterInformation in etcd): calico-node reads keepaliveTime from Calico v3.32.0 on and would ignore it. Upgrade Calico, or leave keepaliveTime out. Nothing was written.',
      );
      return true;
    });
    assert.equal(await revision(v331), rev);
    assert.equal(await v331.admin.get(peerKey("ka")).string(), null);
  });

  it("reads ClusterInformation once per provider process, and takes the fields v3.31 has", async () => {
    use(v331);
    const before = await v331.rpcCounts();
    await provider.create(await checked({ name: "lasn", peerIP: "10.0.0.3", asNumber: 64512, localASNumber: 64513, maxRestartTime: "2m" }));
    const after = await v331.rpcCounts();
    assert.equal((after["KV.Range"] ?? 0) - (before["KV.Range"] ?? 0), 0, "the version read above is reused");
    assert.equal((after["KV.Txn"] ?? 0) - (before["KV.Txn"] ?? 0), 1);
  });

  it("refuses an update that adds keepaliveTime, and writes nothing", async () => {
    use(v331);
    const olds = (await provider.read!("plain")).props as Record<string, unknown>;
    const rev = await revision(v331);
    await assert.rejects(
      provider.update!("plain", olds, await checked({ name: "plain", node: "n1", peerIP: "10.0.0.1", asNumber: 64512, keepaliveTime: "10s" })),
      /keepaliveTime: is not supported by Calico v3\.31\.0/,
    );
    assert.equal(await revision(v331), rev);
  });

  it("a configured version wins over the declared one", async () => {
    use(v331);
    await withEnv("CALICO_VERSION", "v3.32.1", async () => {
      const r = await provider.create(await checked({ name: "ka-forced", peerIP: "10.0.0.4", asNumber: 64512, keepaliveTime: "30s" }));
      assert.equal(r.outs.keepaliveTime, "30s");
    });
  });
});

describe("a datastore that declares Calico v3.32.0, and one that declares nothing", { concurrency: false }, () => {
  it("v3.32.0 takes keepaliveTime", async () => {
    use(v332);
    const r = await provider.create(await checked({ name: "ka", peerIP: "10.0.0.2", asNumber: 64512, keepaliveTime: "30s" }));
    assert.equal(JSON.parse((await v332.admin.get(peerKey("ka")).string())!).spec.keepaliveTime, "30s");
    assert.equal(r.outs.keepaliveTime, "30s");
  });
  it("with no ClusterInformation (no calico-node has started), nothing is refused", async () => {
    use(unknown);
    await provider.create(await checked({ name: "ka", peerIP: "10.0.0.2", asNumber: 64512, keepaliveTime: "30s", nextHopMode: "Self" }));
    assert.ok(await unknown.admin.get(peerKey("ka")).string());
  });
});

describe("selectors of Calico v3.33: at most 1024 characters (4096 before)", { concurrency: false }, () => {
  const selector = longSelector(1025);
  it("a datastore that declares v3.33.0 refuses a 1025-character selector at create, and writes nothing", async () => {
    use(v333);
    const rev = await revision(v333);
    await assert.rejects(provider.create(await checked({ name: "long-sel", nodeSelector: selector, peerIP: "10.0.0.9", asNumber: 64512 })), (e: Error) => {
      assert.match(
        e.message,
        /^BGPPeer "long-sel": nodeSelector: "has\(x\) && has\(x\) .*…" is 1026 characters long: Calico v3\.33\.0 \(ClusterInformation in etcd\) takes at most 1024 \(its CRD's limit from v3\.33\.0 on; 4096 before\)\. Nothing was written\.$/,
      );
      return true;
    });
    assert.equal(await revision(v333), rev);
    // 1024 is the limit, not beyond it.
    const ok = longSelector(1014);
    assert.ok(ok.length <= 1024);
    await provider.create(await checked({ name: "sel-1024", peerSelector: ok }));
    assert.equal(JSON.parse((await v333.admin.get(peerKey("sel-1024")).string())!).spec.peerSelector, ok);
  });
  it("v3.32.0 takes it, as its CRD allows 4096", async () => {
    use(v332);
    await provider.create(await checked({ name: "long-sel", nodeSelector: selector, peerIP: "10.0.0.9", asNumber: 64512 }));
    assert.equal(JSON.parse((await v332.admin.get(peerKey("long-sel")).string())!).spec.nodeSelector, selector);
  });
  it("declared (CALICO_VERSION v3.33.0), it is refused at check, so that preview fails", async () => {
    await withEnv("CALICO_VERSION", "v3.33.0", async () => {
      const r = await provider.check!({}, { name: "p", localWorkloadSelector: selector, asNumber: 1 });
      assert.deepEqual(
        r.failures?.map((f) => f.property),
        ["localWorkloadSelector"],
      );
      assert.match(r.failures![0].reason, /is 1026 characters long: Calico v3\.33\.0 \(environment variable CALICO_VERSION\) takes at most 1024/);
    });
  });
});

describe("a configured version at check (calico:calicoVersion or CALICO_VERSION)", () => {
  it("refuses at check, so that preview fails, every field the release predates", async () => {
    await withEnv("CALICO_VERSION", "v3.30.1", async () => {
      const r = await provider.check!(
        {},
        { name: "p", peerIP: "10.0.0.1:1179", asNumber: 1, keepaliveTime: "30s", nextHopMode: "Self", reversePeering: "Manual" },
      );
      assert.deepEqual(
        r.failures?.map((f) => f.property),
        ["nextHopMode", "keepaliveTime", "reversePeering"],
      );
      assert.match(
        r.failures![0].reason,
        /^nextHopMode: is not supported by Calico v3\.30\.1 \(environment variable CALICO_VERSION\): calico-node reads nextHopMode from Calico v3\.30\.2 on/,
      );
    });
    await withEnv("CALICO_VERSION", "v3.15.0", async () => {
      const r = await provider.check!({}, { name: "p", peerIP: "[2001:db8::1]:1179", asNumber: 1 });
      assert.match(
        r.failures![0].reason,
        /^peerIP: "\[2001:db8::1\]:1179" has a port, which Calico v3\.15\.0 \(environment variable CALICO_VERSION\) does not support/,
      );
    });
  });
  it("an unparsable version is a configuration error, not a rule failure", async () => {
    await withEnv("CALICO_VERSION", "latest", async () => {
      await assert.rejects(
        provider.check!({}, { name: "p", peerIP: "10.0.0.1", asNumber: 1 }),
        /environment variable CALICO_VERSION "latest" is not a Calico release: give it as calico-node reports it, for example "v3.31.0"/,
      );
    });
  });
});
