import { after, before, describe } from "node:test";
import { useBackend } from "../../provider/core/session";
import { MemoryBackend } from "../../provider/datastore/memory/backend";
import { peerScenarios } from "../scenarios/peers";

/**
 * The shared scenarios (test/scenarios/peers.ts) on the in-memory backend, in both of its forms:
 * as etcd keeps peers, and as the Kubernetes API server does (it assigns the uid at create). The
 * same file runs against a real etcd and a real kube-apiserver in test/integration.
 */
for (const assignsUid of [false, true]) {
  const storeName = assignsUid ? "the Kubernetes datastore" : "etcd";
  describe(`in memory, as ${storeName}`, () => {
    const memory = new MemoryBackend({ assignsUid, storeName, maxBatch: assignsUid ? 1 : 128 });
    before(() => useBackend(memory));
    after(() => useBackend(undefined));
    peerScenarios({
      storeName,
      prefix: "mem",
      async createFilter(name) {
        memory.filters.add(name);
      },
    });
  });
}
