import { decodeValue, peerKey, type StoredPeer, UnreadableValueError } from "../model/codec";

/**
 * What the layers above (core/, cli/) need of a datastore, as libcalico-go's `lib/backend/api`
 * is for its clients: one interface, decoded objects, typed results. No caller knows which store
 * it has; what differs between stores (who assigns the uid, what a write leaves behind) is asked
 * through the methods below, not by type.
 */

/** A peer as stored, decoded once where the backend read it. */
export interface Stored {
  /** The v3 object as Calico's etcd backend stores it, as JSON text (the Kubernetes backend: its view of the CR). */
  value: string;
  /** etcd's mod revision (the Kubernetes resourceVersion): Calico's resourceVersion. */
  modRevision: string;
  /** The object as Calico reads it; undefined when it cannot be read (then `unreadable` says why). */
  peer?: StoredPeer;
  /** Why the stored object is not a v3 BGPPeer Calico can read. */
  unreadable?: string;
}

/** A stored value decoded: read errors are kept on the peer, to be raised by whoever needs it (peerOf). */
export function storedOf(name: string, value: string, modRevision: string): Stored {
  try {
    return { value, modRevision, peer: decodeValue(peerKey(name), value) };
  } catch (e) {
    if (!(e instanceof UnreadableValueError)) throw e;
    return { value, modRevision, unreadable: e.why };
  }
}

/** A peer that cannot be read at all (the Kubernetes datastore: a broken metadata annotation). */
export function unreadableStored(modRevision: string, why: string): Stored {
  return { value: "", modRevision, unreadable: why };
}

/** The decoded peer, or the error saying why the stored object cannot be read. */
export function peerOf(name: string, kv: Stored): StoredPeer {
  if (kv.peer) return kv.peer;
  throw new UnreadableValueError(peerKey(name), kv.unreadable ?? "no value");
}

/**
 * `stored` is what the datastore holds after the write when that is not exactly the value written
 * (the Kubernetes API server assigns the uid at create).
 */
export type WriteResult = { ok: true; revision: string; stored?: Stored } | { ok: false; current?: Stored; missingFilters: string[] };

export type DeleteResult = { ok: true } | { ok: false; current?: Stored };

/** One write of a set: create (If Version == 0), update (If Mod == rev) or delete (If Mod == rev). */
export type SetWrite =
  | { op: "create"; name: string; value: string; filters: string[] }
  | { op: "update"; name: string; value: string; rev: string; filters: string[] }
  | { op: "delete"; name: string; rev: string };

export type ChunkResult = { ok: true; revision: string; stored?: Map<string, Stored> } | { ok: false; current: Map<string, Stored>; missingFilters: string[] };

export type DatastoreType = "etcdv3" | "kubernetes";

export interface Backend {
  readonly type: DatastoreType;
  /** "etcd" or "the Kubernetes datastore", for messages. */
  readonly storeName: string;
  /** For messages: where, and from which settings; never a credential. */
  readonly where: string;
  /** Writes one commitChunk may hold. */
  readonly maxBatch: number;
  getPeer(name: string): Promise<Stored | undefined>;
  getPeersIn(names: readonly string[]): Promise<Map<string, Stored>>;
  listPeers(): Promise<{ revision: string; peers: [string, Stored][] }>;
  createPeer(name: string, value: string, filters: string[]): Promise<WriteResult>;
  updatePeer(name: string, value: string, rev: string, filters: string[]): Promise<WriteResult>;
  /** `uid` is the v3 uid state recorded: the object must still be that one. */
  deletePeer(name: string, rev: string, uid?: string): Promise<DeleteResult>;
  /** Many writes, each guarded as its single-peer form; all land or none. */
  commitChunk(writes: readonly SetWrite[]): Promise<ChunkResult>;
  clusterCalicoVersion(): Promise<string | undefined>;
  /** Refuses, before a write, what this datastore would reject or mis-store (Kubernetes: int32 ASNs). */
  refuseUnstorable(name: string, value: string): Promise<void>;
  /**
   * Whether `kv` holds what writing `value` left there: the same bytes in etcd; on the Kubernetes
   * datastore, the same object but for the uid the API server gave it at create.
   */
  holds(value: string, kv: Stored | undefined): boolean;
  /**
   * Whether a stored peer is this stack's own write that state never recorded: by the uid a create
   * of this stack gives it, or, where the datastore assigns uids (Kubernetes), by the stack's mark.
   */
  isOwnWrite(owner: string | undefined, peer: { name: string; uid?: string; annotations: Record<string, string> }): boolean;
  /** How isOwnWrite knows, for messages: "the uid this stack gives it" or "this stack's mark". */
  readonly ownWriteSign: string;
  /** A failure of this datastore's transport as a typed error naming `op`. */
  wrap(err: unknown, op: string): Error;
  close(): void;
}
