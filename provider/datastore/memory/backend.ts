import { randomUUID } from "node:crypto";
import type { StoredPeer } from "../../model/codec";
import { isOwnUid, markOf } from "../../model/uid";
import type { Backend, ChunkResult, DeleteResult, SetWrite, Stored, WriteResult } from "../api";
import { storedOf } from "../api";

/**
 * A datastore in memory: the Backend interface kept honestly, with one revision counter, guarded
 * writes, BGPFilters that must exist, and all-or-nothing chunks, as etcd keeps them. With
 * `assignsUid` it behaves as the Kubernetes API server does at create (it gives the object a uid
 * of its own, and a stack knows its writes by its mark).
 *
 * It serves the decision's and the commit's unit tests, which then run in milliseconds. It does not
 * stand in for a real store: every behaviour it is used for is also tested against etcd and a
 * kube-apiserver.
 */
export class MemoryBackend implements Backend {
  readonly type = "etcdv3";
  readonly where = "the in-memory datastore";
  readonly storeName: string;
  readonly maxBatch: number;
  readonly ownWriteSign: string;
  private revision = 1;
  private readonly peers = new Map<string, { value: string; modRevision: string }>();
  readonly filters = new Set<string>();
  /** Requests served, by method: what a test counts. */
  readonly calls: Record<string, number> = {};
  calicoVersion?: string;

  constructor(readonly opts: { assignsUid?: boolean; maxBatch?: number; storeName?: string } = {}) {
    this.storeName = opts.storeName ?? "etcd";
    this.maxBatch = opts.maxBatch ?? 128;
    this.ownWriteSign = opts.assignsUid ? "this stack's mark" : "the uid this stack gives it";
  }

  private count(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  private read(name: string): Stored | undefined {
    const kv = this.peers.get(name);
    return kv && storedOf(name, kv.value, kv.modRevision);
  }

  /** Out of band, as calicoctl or another tool would: put `value` under `name`, whatever is there. */
  put(name: string, value: string): string {
    const rev = String(++this.revision);
    this.peers.set(name, { value, modRevision: rev });
    return rev;
  }

  /** Out of band: remove `name`. */
  remove(name: string): void {
    this.peers.delete(name);
    this.revision++;
  }

  /** The stored text, as a test reads it back. */
  text(name: string): string | undefined {
    return this.peers.get(name)?.value;
  }

  get currentRevision(): string {
    return String(this.revision);
  }

  async getPeer(name: string) {
    this.count("getPeer");
    return this.read(name);
  }

  async getPeersIn(names: readonly string[]) {
    this.count("getPeersIn");
    const out = new Map<string, Stored>();
    for (const n of names) {
      const kv = this.read(n);
      if (kv) out.set(n, kv);
    }
    return out;
  }

  async listPeers() {
    this.count("listPeers");
    return { revision: this.currentRevision, peers: [...this.peers.keys()].sort().map((n) => [n, this.read(n)!] as [string, Stored]) };
  }

  private missing(filters: readonly string[]): string[] {
    return [...new Set(filters)].filter((f) => !this.filters.has(f));
  }

  /** The value as this store keeps it: with `assignsUid`, a create's uid is the store's own. */
  private assign(value: string, create: boolean): string {
    if (!create || !this.opts.assignsUid) return value;
    const o = JSON.parse(value) as { metadata: Record<string, unknown> };
    o.metadata.uid = randomUUID();
    return JSON.stringify(o);
  }

  private guarded(w: SetWrite): boolean {
    const kv = this.peers.get(w.name);
    return w.op === "create" ? kv === undefined : kv?.modRevision === w.rev;
  }

  async createPeer(name: string, value: string, filters: string[]): Promise<WriteResult> {
    this.count("createPeer");
    return this.single({ op: "create", name, value, filters });
  }

  async updatePeer(name: string, value: string, rev: string, filters: string[]): Promise<WriteResult> {
    this.count("updatePeer");
    return this.single({ op: "update", name, value, rev, filters });
  }

  private single(w: Exclude<SetWrite, { op: "delete" }>): WriteResult {
    const missingFilters = this.missing(w.filters);
    if (!this.guarded(w) || missingFilters.length) return { ok: false, current: this.read(w.name), missingFilters };
    const stored = this.assign(w.value, w.op === "create");
    const rev = this.put(w.name, stored);
    return { ok: true, revision: rev, stored: stored === w.value ? undefined : this.read(w.name) };
  }

  async deletePeer(name: string, rev: string, uid?: string): Promise<DeleteResult> {
    this.count("deletePeer");
    const kv = this.read(name);
    if (!kv) return this.opts.assignsUid ? { ok: true } : { ok: false };
    // As the Kubernetes API server's preconditions: the uid state recorded must still be the object's.
    const uidMoved = this.opts.assignsUid && uid !== undefined && kv.peer?.uid !== uid;
    if (kv.modRevision !== rev || uidMoved) return { ok: false, current: kv };
    this.remove(name);
    return { ok: true };
  }

  async commitChunk(writes: readonly SetWrite[]): Promise<ChunkResult> {
    this.count("commitChunk");
    if (writes.length > this.maxBatch) throw new Error(`the in-memory datastore takes ${this.maxBatch} writes a chunk (got ${writes.length})`);
    const missingFilters = this.missing(writes.flatMap((w) => (w.op === "delete" ? [] : w.filters)));
    if (!writes.every((w) => this.guarded(w)) || missingFilters.length) {
      const current = new Map<string, Stored>();
      for (const w of writes) {
        const kv = this.read(w.name);
        if (kv) current.set(w.name, kv);
      }
      return { ok: false, current, missingFilters };
    }
    const rev = String(++this.revision);
    const stored = new Map<string, Stored>();
    for (const w of writes) {
      if (w.op === "delete") {
        this.peers.delete(w.name);
        continue;
      }
      const value = this.assign(w.value, w.op === "create");
      this.peers.set(w.name, { value, modRevision: rev });
      stored.set(w.name, this.read(w.name)!);
    }
    return { ok: true, revision: rev, stored };
  }

  async clusterCalicoVersion() {
    return this.calicoVersion;
  }

  async refuseUnstorable(): Promise<void> {}

  holds(value: string, kv: Stored | undefined): boolean {
    if (kv === undefined || kv.unreadable) return false;
    if (kv.value === value) return true;
    if (!this.opts.assignsUid) return false;
    const strip = (t: string) => {
      const o = JSON.parse(t) as { metadata: Record<string, unknown> };
      return JSON.stringify({ ...o, metadata: { ...o.metadata, uid: undefined } });
    };
    return strip(value) === strip(kv.value);
  }

  isOwnWrite(owner: string | undefined, peer: Pick<StoredPeer, "name" | "uid" | "annotations">): boolean {
    return this.opts.assignsUid ? owner !== undefined && markOf(peer) === owner : isOwnUid(owner, peer.name, peer.uid);
  }

  wrap(err: unknown): Error {
    return err as Error;
  }

  close(): void {}
}
