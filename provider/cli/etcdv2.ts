/**
 * The v1 BGP peers of a Calico <= 2.6 datastore, read over etcd's v2 API. The layout is
 * libcalico-go v1.7.3's lib/backend/model/bgppeer.go: GlobalBGPPeerKey is
 * /calico/bgp/v1/global/peer_v<4|6>/<ip>, NodeBGPPeerKey is /calico/bgp/v1/host/<node>/peer_v<4|6>/<ip>,
 * and the value is model.BGPPeer, `{"ip":"192.168.1.1","as_num":"63400"}` (the AS written as a
 * string). Each becomes the seed terms BgpPeer takes, which convert it as calico-upgrade's
 * BackendV1ToAPIV3 does (lib/upgrade/converters/bgppeer.go): the node name converted, the Calico
 * name "<node>.<ip>" or "<ip>" with the address spelled as a name.
 */

const KEY = /^\/calico\/bgp\/v1\/(?:global|host\/([^/]+))\/peer_v[46]\/([^/]+)$/;

interface V2Node {
  key: string;
  value?: string;
  dir?: boolean;
  nodes?: V2Node[];
}

export interface V1Peer {
  key: string;
  /** Seed-term inputs for BgpPeer's check. */
  inputs: Record<string, unknown>;
}

function walk(n: V2Node, out: V2Node[]): void {
  if (n.dir) for (const c of n.nodes ?? []) walk(c, out);
  else out.push(n);
}

/** Every v1 BGP peer under /calico/bgp/v1, from the first endpoint that answers. */
export async function readV1Peers(endpoints: string[], timeoutMs = 10_000): Promise<{ peers: V1Peer[]; problems: string[]; endpoint: string }> {
  const errors: string[] = [];
  for (const ep of endpoints) {
    const url = `${ep.replace(/\/$/, "")}/v2/keys/calico/bgp/v1?recursive=true`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      errors.push(`${ep}: ${(e as Error).cause ?? (e as Error).message}`);
      continue;
    }
    const body = (await res.json().catch(() => undefined)) as { node?: V2Node; errorCode?: number; message?: string } | undefined;
    // 100: "Key not found": a datastore without any v1 BGP data.
    if (res.status === 404 && body?.errorCode === 100) return { peers: [], problems: [], endpoint: ep };
    if (!res.ok || !body?.node) {
      errors.push(
        `${ep}: HTTP ${res.status}${body?.message ? ` (${body.message})` : ""}${res.status === 404 ? ": is the v2 API enabled (etcd --enable-v2)?" : ""}`,
      );
      continue;
    }
    const leaves: V2Node[] = [];
    walk(body.node, leaves);
    const peers: V1Peer[] = [];
    const problems: string[] = [];
    for (const leaf of leaves) {
      const m = KEY.exec(leaf.key);
      if (!m) continue;
      let v: { ip?: unknown; as_num?: unknown };
      try {
        v = JSON.parse(leaf.value ?? "");
      } catch {
        problems.push(`the value at ${leaf.key} is not JSON`);
        continue;
      }
      const node = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
      peers.push({
        key: leaf.key,
        inputs: { scope: node === undefined ? "global" : "node", ...(node === undefined ? {} : { node }), peerIP: v.ip, asNumber: v.as_num },
      });
    }
    return { peers, problems, endpoint: ep };
  }
  throw new Error(`cannot read the etcd v2 API at ${endpoints.join(",")}: ${errors.join("; ")}`);
}
