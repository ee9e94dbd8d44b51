import { createHash, randomUUID } from "node:crypto";
import { OWNER_ANNOTATION } from "./keys";

/**
 * The uid a create gives a peer. calicoctl draws a random one; BgpPeer derives it from the stack
 * that declares the peer and the peer's Calico name (a name-based UUID, RFC 9562 version 5), so a
 * later up of the same stack can recognize a peer it wrote but never recorded (a provider process
 * killed, or an answer lost, between the write and the checkpoint) and take it over without
 * `adopt`, while a peer any other stack or tool wrote still has a uid of its own and is refused.
 * Calico treats the uid as an opaque string.
 */

// This package's namespace for name-based uids (a random v4 UUID, fixed forever: changing it would
// make every stack's earlier writes unrecognizable).
const NAMESPACE = Buffer.from("6f1c3e1a9d2b4c7e8a5f0b3d2e1c4a96", "hex");

export function ownedUid(owner: string, name: string): string {
  const h = createHash("sha1").update(NAMESPACE).update(`${owner}\n${name}`, "utf8").digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** A create's uid: the stack's own when the stack is known (the program says), else a random one as calicoctl's. */
export function createUid(owner: string | undefined, name: string): string {
  return owner ? ownedUid(owner, name) : randomUUID();
}

/**
 * Whether `uid` is the one this stack gives the peer `name` at create. A uid that is not a version 5
 * UUID (calicoctl's are random, version 4) cannot be, and is told without hashing: an adoption of a
 * fabric asks this of every peer.
 */
export function isOwnUid(owner: string | undefined, name: string, uid: string | undefined): boolean {
  return owner !== undefined && uid !== undefined && uid[14] === "5" && uid === ownedUid(owner, name);
}

/** The stack that last wrote a peer, from its mark (OWNER_ANNOTATION), if any. */
export function markOf(meta: { annotations?: Record<string, string> } | undefined): string | undefined {
  const m = meta?.annotations?.[OWNER_ANNOTATION];
  return m === undefined || m === "" ? undefined : m;
}
