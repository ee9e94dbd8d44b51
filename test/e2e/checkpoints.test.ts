import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BgpPeer } from "../../provider";
import { PEER_PREFIX } from "../../provider/model/codec";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { killAll, startedTree } from "../harness/procs";
import { type LocalStack, localStack } from "../harness/pulumi";

/**
 * The README suggests PULUMI_SKIP_CHECKPOINTS for large fabrics and says how to recover when such
 * an up dies: state then records none of the peers already written. This kills the real CLI in the
 * middle of an up and checks that recovery, end to end.
 */
const N = 300;
let etcd: TestEtcd;
let ls: LocalStack;
const adopt = false;

async function program() {
  for (let i = 0; i < N; i++) new BgpPeer(`host${i}-tor`, { node: `host${i}`, peerIP: "10.0.0.1", asNumber: 65001, adopt });
  return {};
}
async function inEtcd(): Promise<number> {
  return (await etcd.admin.getAll().prefix(PEER_PREFIX).keys()).length;
}
async function inState(): Promise<number> {
  const d = (await ls.stack.exportStack()).deployment;
  return (d.resources ?? []).filter((r: any) => r.type === "pulumi-nodejs:dynamic/calico:BgpPeer").length;
}
async function revision(): Promise<bigint> {
  return BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
}

before(async () => {
  etcd = await startEtcd();
  ls = await localStack("checkpoints", program, { ETCD_ENDPOINTS: etcd.endpoint, PULUMI_SKIP_CHECKPOINTS: "true" });
});
after(async () => {
  await etcd?.stop();
  ls?.cleanup();
});

describe("PULUMI_SKIP_CHECKPOINTS", { concurrency: false }, () => {
  it("an up killed midway leaves peers that state does not know; the re-run recognizes them as its own and writes only the missing ones", async () => {
    let killed = 0;
    const killer = setInterval(() => {
      void inEtcd().then((n) => {
        if (n < N / 4 || killed) return;
        // The CLI's up and everything below it, its provider host included.
        killed += killAll(startedTree("up", "checkpoints"));
      });
    }, 50);
    try {
      await assert.rejects(ls.stack.up());
    } finally {
      clearInterval(killer);
    }
    assert.ok(killed > 0, "the CLI was killed during the up");
    const written = await inEtcd();
    assert.ok(written >= N / 4 && written < N, `some but not all peers were written (${written} of ${N})`);
    assert.equal(await inState(), 0, "with checkpoints skipped, state records none of them");
    await ls.stack.cancel().catch(() => undefined);

    // The peers carry the uid this stack gives them, so the re-run takes them back without adopt.
    const [present, before] = [await inEtcd(), await revision()];
    const up = await ls.stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal(await inEtcd(), N);
    assert.equal(await inState(), N);
    assert.equal(await revision(), before + BigInt(N - present), "only the peers that were missing were written");
    const pv = await ls.stack.preview();
    assert.deepEqual(pv.changeSummary, { same: N + 1 });
  });

  it("another stack declaring one of those peers is refused, naming the stack that manages it, even with adopt", async () => {
    let otherAdopt: boolean | "force" = false;
    const other = await localStack(
      "checkpoints-other",
      async () => {
        new BgpPeer("host0-tor", { node: "host0", peerIP: "10.0.0.1", asNumber: 65001, adopt: otherAdopt });
        return {};
      },
      { ETCD_ENDPOINTS: etcd.endpoint },
    );
    try {
      const before = await revision();
      for (const a of [false, true] as const) {
        otherAdopt = a;
        await assert.rejects(other.stack.up(), (e: Error) => {
          assert.match(
            e.message,
            /BGPPeer "host0-tor" is managed by the Pulumi stack "bgppeer-checkpoints\/checkpoints" .* not by this one \("bgppeer-checkpoints-other\/checkpoints-other"\)/,
          );
          // The refusal is the resource's, not a property's: no "property adopt value {<nil>} has a problem: adopt:".
          assert.doesNotMatch(e.message, /property adopt value|has a problem: adopt:/);
          assert.match(e.message, /resource 'host0-tor' has a problem: BGPPeer "host0-tor" is managed/);
          return true;
        });
      }
      assert.equal(await revision(), before);
      otherAdopt = "force";
      await other.stack.up();
      assert.equal(await revision(), before + 1n, "a forced takeover writes once: the mark now names the other stack");
      // The first stack now refuses to delete it: it is the other stack's.
      await assert.rejects(ls.stack.destroy(), /BGPPeer "host0-tor" is managed by the Pulumi stack "bgppeer-checkpoints-other\/checkpoints-other"/);
    } finally {
      other.cleanup();
    }
  });
});
