import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BgpPeer } from "../../provider";
import { PEER_PREFIX } from "../../provider/model/keys";
import { type EtcdCluster, startEtcdCluster } from "../harness/cluster";
import { type LocalStack, localStack } from "../harness/pulumi";

/**
 * A production etcd: three members on loopback, all three named in ETCD_ENDPOINTS, and the real
 * Pulumi CLI. With one member down, or the leader killed in the middle of an up, every peer lands
 * in etcd and in state: calls that fail on one member are tried on another.
 */
let cluster: EtcdCluster;
let ls: LocalStack;
let names: string[] = [];

async function program() {
  for (const n of names) new BgpPeer(n, { name: n, peerIP: "10.20.0.1", asNumber: 64512 });
  return {};
}
async function keys(prefix = ""): Promise<string[]> {
  return Object.keys(
    await cluster.admin
      .getAll()
      .prefix(PEER_PREFIX + prefix)
      .keys(),
  ).map(String);
}
async function peersInState(): Promise<number> {
  const st = await ls.stack.exportStack();
  return st.deployment.resources.filter((r: any) => r.type.endsWith(":BgpPeer")).length;
}

before(async () => {
  cluster = await startEtcdCluster(3);
  ls = await localStack("failover", program, { ETCD_ENDPOINTS: cluster.endpoints.join(","), CALICO_ETCD_TIMEOUT: "3s" });
});
after(async () => {
  await cluster?.stop();
  ls?.cleanup();
});

describe("a 3-member etcd cluster", { concurrency: false }, () => {
  it("with one member down, an up of 200 peers puts every peer in etcd and in state", async () => {
    const leader = await cluster.leader();
    const down = (leader + 1) % 3;
    cluster.kill(down);
    names = Array.from({ length: 200 }, (_, i) => `a-${i}`);
    const up = await ls.stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal((await keys("a-")).length, 200);
    assert.equal(await peersInState(), 200);
    cluster.restart(down);
  });

  it("with the leader killed in the middle of an up of 200 more, every peer lands, and the next preview shows no changes", async () => {
    const leader = await cluster.leader();
    names = [...names, ...Array.from({ length: 200 }, (_, i) => `b-${i}`)];
    const running = ls.stack.up();
    // Kill the leader once the up is well under way.
    for (let i = 0; i < 600 && (await keys("b-")).length < 40; i++) await new Promise((r) => setTimeout(r, 50));
    const written = (await keys("b-")).length;
    assert.ok(written >= 40 && written < 200, `killed the leader with ${written} of 200 written`);
    cluster.kill(leader);
    const up = await running;
    assert.equal(up.summary.result, "succeeded");
    assert.equal((await keys()).length, 400);
    assert.equal(await peersInState(), 400);
    const pv = await ls.stack.preview();
    assert.deepEqual(pv.changeSummary, { same: 401 });
  });
});
