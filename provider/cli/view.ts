import { peerOf, type Stored } from "../datastore/api";
import { field, METADATA_ORDER } from "../model/codec";
import { FIELDS, SPEC_FIELDS } from "../model/fields";
import { goYaml } from "./goyaml";

/**
 * A stored peer as calicoctl shows it: the value decoded into Calico's Go types and encoded again
 * (calicoctl get -o yaml|json|wide). Unknown fields are dropped, empty ones omitted (omitempty),
 * AS numbers are numbers and durations are Go's spelling, but addresses are shown as stored.
 */
type Json = Record<string, unknown>;

export interface PeerView {
  kind: "BGPPeer";
  apiVersion: "projectcalico.org/v3";
  metadata: Json;
  spec: Json;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === "" || (typeof v === "object" && Object.keys(v as object).length === 0);
}

export function peerView(name: string, kv: Stored): PeerView {
  const stored = peerOf(name, kv);
  const raw = stored.raw;
  const rawMeta = (field(raw, "metadata") ?? {}) as Json;
  const rawSpec = (field(raw, "spec") ?? {}) as Json;
  const metadata: Json = {};
  for (const k of METADATA_ORDER) {
    const v = k === "resourceVersion" ? kv.modRevision : field(rawMeta, k);
    // ObjectMeta's integers (generation, deletionGracePeriodSeconds) are omitempty too.
    if (!isEmpty(v) && v !== 0) metadata[k] = v;
  }
  const spec: Json = {};
  for (const f of SPEC_FIELDS) {
    const kind = FIELDS[f].kind;
    if (kind === "peerAddress" || kind === "ip") {
      const v = field(rawSpec, f);
      if (typeof v === "string" && v !== "") spec[f] = v;
    } else if (kind === "password") {
      const ref = stored.spec.password?.secretKeyRef;
      if (ref)
        spec[f] = {
          secretKeyRef: { ...(ref.name ? { name: ref.name } : {}), key: ref.key, ...(ref.optional !== undefined ? { optional: ref.optional } : {}) },
        };
    } else if (stored.spec[f] !== undefined) {
      spec[f] = stored.spec[f];
    }
  }
  return { kind: "BGPPeer", apiVersion: "projectcalico.org/v3", metadata, spec };
}

/** calicoctl's list wrapper, with the revision the list was read at. */
export function listView(items: PeerView[], revision: string): Json {
  return { kind: "BGPPeerList", apiVersion: "projectcalico.org/v3", metadata: { resourceVersion: revision }, items };
}

/** -o json: Go's json.MarshalIndent with two spaces, HTML-escaped as Go escapes it. */
export function toJson(v: unknown): string {
  // Those characters occur only inside strings, so escaping them in the text is exact (as goJson).
  return `${JSON.stringify(v, null, 2).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
}

/** -o yaml: as calicoctl prints it (goyaml.ts). */
export function toYaml(v: unknown): string {
  return goYaml(v);
}

/** -o wide (and the default): NAME PEERIP NODE ASN, in Go's tabwriter layout (3 spaces of padding, a blank line after). */
export function toTable(views: PeerView[]): string {
  const rows = [["NAME", "PEERIP", "NODE", "ASN"]];
  for (const v of views) {
    const s = v.spec as { node?: string; nodeSelector?: string; peerIP?: string; asNumber?: number };
    rows.push([String(v.metadata.name), s.peerIP ?? "", s.node || s.nodeSelector || "(global)", String(s.asNumber ?? 0)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return `${rows.map((r) => r.map((c, i) => `${c.padEnd(widths[i])}   `).join("")).join("\n")}\n\n`;
}
