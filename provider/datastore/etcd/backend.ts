import type { Etcd3 } from "etcd3";
import type { StoredPeer } from "../../model/codec";
import { isOwnUid } from "../../model/uid";
import type { Backend, SetWrite, Stored } from "../api";
import { type ConnectionSettings, describe } from "../config";
import { closeClient, getClient } from "./connection";
import { wrapTransport } from "./errors";
import { commitChunk, createPeer, deletePeer, getClusterCalicoVersion, getPeer, getPeersIn, listPeers, MAX_TXN_OPS, updatePeer } from "./txn";

/** Calico's etcd v3 datastore: a peer is the key Calico's etcdv3 backend writes, its value the v3 object. */
class EtcdBackend implements Backend {
  readonly type = "etcdv3";
  readonly storeName = "etcd";
  readonly maxBatch = MAX_TXN_OPS;
  readonly ownWriteSign = "the uid this stack gives it";
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
  holds(value: string, kv: Stored | undefined): boolean {
    return kv !== undefined && kv.value === value;
  }
  isOwnWrite(owner: string | undefined, peer: Pick<StoredPeer, "name" | "uid">): boolean {
    return isOwnUid(owner, peer.name, peer.uid);
  }
  wrap(err: unknown, op: string) {
    return wrapTransport(err, this.settings, op);
  }
  close(): void {
    closeClient();
  }
}

/** The etcd backend for `s`: one client per provider process and settings (connection.ts). */
export function etcdBackend(s: ConnectionSettings): Backend {
  return new EtcdBackend(s, getClient(s));
}

export function closeEtcd(): void {
  closeClient();
}
