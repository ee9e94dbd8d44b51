import type { Etcd3 } from "etcd3";
import { closeClient, getClient } from "./client";
import { type ConnectionSettings, type Datastore, describe } from "./config";
import { wrapTransport } from "./errors";
import {
  type ChunkResult,
  commitChunk,
  createPeer,
  type DeleteResult,
  deletePeer,
  getClusterCalicoVersion,
  getPeer,
  getPeersIn,
  listPeers,
  MAX_TXN_OPS,
  type SetWrite,
  type StoredKV,
  updatePeer,
  type WriteResult,
} from "./store";

/**
 * What the client layer (client.ts, set.ts) needs of a datastore. A peer crosses it as the v3
 * object the etcd backend stores, a JSON string, with its resourceVersion; each backend writes
 * and reads it in its own datastore's form, so every rule, diff and adoption above is shared.
 */
export interface Backend {
  readonly type: "etcdv3" | "kubernetes";
  /** For messages: where, and from which settings; never a credential. */
  readonly where: string;
  /** Writes one commitChunk may hold. */
  readonly maxBatch: number;
  /**
   * Whether the datastore assigns the uid (the Kubernetes API server does, at create): a create's
   * own uid then cannot say that a peer is this stack's, and its mark does.
   */
  readonly assignsUid: boolean;
  getPeer(name: string): Promise<StoredKV | undefined>;
  getPeersIn(names: readonly string[]): Promise<Map<string, StoredKV>>;
  listPeers(): Promise<{ revision: string; peers: [string, StoredKV][] }>;
  createPeer(name: string, value: string, filters: string[]): Promise<WriteResult>;
  updatePeer(name: string, value: string, rev: string, filters: string[]): Promise<WriteResult>;
  /** `uid` is the v3 uid state recorded: the object must still be that one. */
  deletePeer(name: string, rev: string, uid?: string): Promise<DeleteResult>;
  commitChunk(writes: readonly SetWrite[]): Promise<ChunkResult>;
  clusterCalicoVersion(): Promise<string | undefined>;
  /** Refuses, before a write, what this datastore would reject or mis-store (Kubernetes: int32 ASNs). */
  refuseUnstorable(name: string, value: string): Promise<void>;
  wrap(err: unknown, op: string): Error;
}

class EtcdBackend implements Backend {
  readonly type = "etcdv3";
  readonly maxBatch = MAX_TXN_OPS;
  readonly assignsUid = false;
  readonly where: string;
  constructor(
    readonly settings: ConnectionSettings,
    readonly client: Etcd3,
  ) {
    this.where = describe(settings);
  }
  getPeer(name: string) {
    return getPeer(this.client, name);
  }
  getPeersIn(names: readonly string[]) {
    return getPeersIn(this.client, names);
  }
  listPeers() {
    return listPeers(this.client);
  }
  createPeer(name: string, value: string, filters: string[]) {
    return createPeer(this.client, name, value, filters);
  }
  updatePeer(name: string, value: string, rev: string, filters: string[]) {
    return updatePeer(this.client, name, value, rev, filters);
  }
  deletePeer(name: string, rev: string) {
    return deletePeer(this.client, name, rev);
  }
  commitChunk(writes: readonly SetWrite[]) {
    return commitChunk(this.client, writes);
  }
  clusterCalicoVersion() {
    return getClusterCalicoVersion(this.client);
  }
  async refuseUnstorable(): Promise<void> {}
  wrap(err: unknown, op: string) {
    return wrapTransport(err, this.settings, op);
  }
}

/** The backend for `d`: one client per provider process and settings, as getClient keeps for etcd. */
export function backendFor(d: Datastore): Backend {
  if (d.type === "etcdv3") return new EtcdBackend(d.etcd, getClient(d.etcd));
  const { kubeBackend } = require("./kube") as typeof import("./kube");
  return kubeBackend(d.kube);
}

export function closeBackends(): void {
  closeClient();
  const kube = require.cache[require.resolve("./kube")];
  if (kube) (kube.exports as typeof import("./kube")).closeKube();
}
