import type { Etcd3, IKeyValue } from "etcd3";
import { filterKey, PEER_PREFIX, peerKey } from "../../model/codec";
import { CLUSTER_INFORMATION_KEY } from "../../model/keys";
import { type ChunkResult, type DeleteResult, type SetWrite, type Stored, storedOf, type WriteResult } from "../api";

/**
 * Calico's etcdv3 backend for BGPPeer, as `lib/backend/etcdv3` does it: one guarded transaction
 * per write, and the set's writes packed into as few as etcd takes.
 */

function kvOf(name: string, kvs: IKeyValue[] | undefined): Stored | undefined {
  const kv = kvs?.[0];
  return kv ? storedOf(name, kv.value.toString("utf8"), kv.mod_revision) : undefined;
}

/** Every stored peer, by name, with the revision of the read: one Range over the prefix. */
export async function listPeers(client: Etcd3): Promise<{ revision: string; peers: [string, Stored][] }> {
  const res = await client.getAll().prefix(PEER_PREFIX).exec();
  return {
    revision: res.header.revision,
    peers: res.kvs.map((kv) => {
      const name = kv.key.toString("utf8").slice(PEER_PREFIX.length);
      return [name, storedOf(name, kv.value.toString("utf8"), kv.mod_revision)];
    }),
  };
}

export async function getPeer(client: Etcd3, name: string): Promise<Stored | undefined> {
  const res = await client.get(peerKey(name)).exec();
  return kvOf(name, res.kvs);
}

/** The release calico-node recorded in ClusterInformation, or undefined when none is recorded. */
export async function getClusterCalicoVersion(client: Etcd3): Promise<string | undefined> {
  const text = await client.get(CLUSTER_INFORMATION_KEY).string();
  if (text === null) return undefined;
  try {
    const v = (JSON.parse(text) as { spec?: { calicoVersion?: unknown } }).spec?.calicoVersion;
    return typeof v === "string" && v !== "" ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The write both create and update use: Put under a compare on the peer key, and, in the same
 * transaction, a compare that every named BGPFilter exists (clientv3 checks filters with its own
 * reads; doing it here keeps the write to one round trip and free of races).
 */
async function guardedPut(
  client: Etcd3,
  name: string,
  value: string,
  guard: ["Version", "==", 0] | ["Mod", "==", string],
  filters: string[],
): Promise<WriteResult> {
  const key = peerKey(name);
  const uniqueFilters = [...new Set(filters)];
  let txn = client.if(key, guard[0], guard[1], guard[2]);
  for (const f of uniqueFilters) txn = txn.and(filterKey(f), "Version", ">", 0);
  const res = await txn
    .then(client.put(key).value(value))
    .else(client.get(key), ...uniqueFilters.map((f) => client.get(filterKey(f))))
    .commit();
  if (res.succeeded) return { ok: true, revision: res.header.revision };
  const ranges = res.responses.map((r) => r.response_range?.kvs);
  return {
    ok: false,
    current: kvOf(name, ranges[0]),
    missingFilters: uniqueFilters.filter((_, i) => !(ranges[i + 1] && ranges[i + 1]!.length > 0)),
  };
}

/** Calico's backend Create: If(Version(key) == 0) Put, Else Get. */
export function createPeer(client: Etcd3, name: string, value: string, filters: string[]): Promise<WriteResult> {
  return guardedPut(client, name, value, ["Version", "==", 0], filters);
}

/** Calico's backend Update: If(ModRevision(key) == resourceVersion) Put, Else Get. */
export function updatePeer(client: Etcd3, name: string, value: string, modRevision: string, filters: string[]): Promise<WriteResult> {
  return guardedPut(client, name, value, ["Mod", "==", modRevision], filters);
}

/** Calico's backend Delete with a revision: If(ModRevision(key) == rev) Delete, Else Get. */
export async function deletePeer(client: Etcd3, name: string, modRevision: string): Promise<DeleteResult> {
  const key = peerKey(name);
  const res = await client.if(key, "Mod", "==", modRevision).then(client.delete().key(key)).else(client.get(key)).commit();
  if (res.succeeded) return { ok: true };
  return { ok: false, current: kvOf(name, res.responses[0]?.response_range?.kvs) };
}

/** etcd's default --max-txn-ops: a transaction with more compares or more operations is refused. */
export const MAX_TXN_OPS = 128;

/**
 * Every stored peer among `names`: one read-only transaction of single-key Ranges per 128 names, so
 * a set of a rack is one request, and what is read is exactly its keys whatever their names (a
 * Range over the span of the names would also read every key that sorts between them).
 */
export async function getPeersIn(client: Etcd3, names: readonly string[]): Promise<Map<string, Stored>> {
  const out = new Map<string, Stored>();
  for (let i = 0; i < names.length; i += MAX_TXN_OPS) {
    const part = names.slice(i, i + MAX_TXN_OPS);
    const res = await client.kv.txn({ compare: [], success: part.map((n) => ({ request_range: { key: Buffer.from(peerKey(n)) } })) });
    res.responses.forEach((r, j) => {
      const kv = kvOf(part[j], r.response_range?.kvs);
      if (kv) out.set(part[j], kv);
    });
  }
  return out;
}

/**
 * One transaction for many peers, each guarded as Calico's backend guards one (the filters a peer
 * names must exist, as in guardedPut). It lands whole or not at all; when a guard fails, the Else
 * branch reads every key involved so the caller can name what changed.
 */
export async function commitChunk(client: Etcd3, writes: readonly SetWrite[]): Promise<ChunkResult> {
  const filters = [...new Set(writes.flatMap((w) => (w.op === "delete" ? [] : w.filters)))];
  const guard = (w: SetWrite): [string, "Version" | "Mod", "==", string | number] =>
    w.op === "create" ? [peerKey(w.name), "Version", "==", 0] : [peerKey(w.name), "Mod", "==", w.rev];
  let txn = client.if(...guard(writes[0]));
  for (const w of writes.slice(1)) txn = txn.and(...guard(w));
  for (const f of filters) txn = txn.and(filterKey(f), "Version", ">", 0);
  const res = await txn
    .then(...writes.map((w) => (w.op === "delete" ? client.delete().key(peerKey(w.name)) : client.put(peerKey(w.name)).value(w.value))))
    .else(...writes.map((w) => client.get(peerKey(w.name))), ...filters.map((f) => client.get(filterKey(f))))
    .commit();
  if (res.succeeded) return { ok: true, revision: res.header.revision };
  const ranges = res.responses.map((r) => r.response_range?.kvs);
  const current = new Map<string, Stored>();
  writes.forEach((w, i) => {
    const kv = kvOf(w.name, ranges[i]);
    if (kv) current.set(w.name, kv);
  });
  return { ok: false, current, missingFilters: filters.filter((_, i) => !(ranges[writes.length + i]?.length ?? 0)) };
}
