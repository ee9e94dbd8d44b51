import * as fs from "node:fs";
import * as path from "node:path";
import { Composer, type Document, Parser } from "yaml";
import { FIELDS, SPEC_FIELDS } from "../model/fields";
import { checkInputs, type PeerInputs } from "../model/spec";
import type { PeerView } from "./view";

/**
 * BGPPeer manifests as calicoctl reads them (`calicoctl create|apply|convert -f`): YAML or JSON,
 * several documents, a document that is a list of resources, or a List with items. A v3
 * `BGPPeer` (projectcalico.org/v3) becomes BgpPeer's inputs as they are; a seed-era v1 `bgpPeer`
 * (apiVersion v1: scope, node and peerIP in metadata, asNumber in spec) becomes the seed terms
 * BgpPeer takes, which give calico-upgrade's name and conversions.
 *
 * Beyond calicoctl, the manifests of calicoctl's alpha (the oldest seed's document: `kind:
 * bgppeer`, `metadata.hostname` for node, and a `metadata.name`) are v1 too. Their v3 name is
 * calico-upgrade's, not `metadata.name`: no datastore kept that name (libcalico-go v1 keys a peer
 * by node and IP), so every cluster that ran the peer since holds it under calico-upgrade's name,
 * and a second name would make a second peering. The alpha name is reported in a note.
 */

type Json = Record<string, unknown>;

export interface Manifest {
  /** Where it is: "FILE: document N" (and ", item M" inside a list). */
  where: string;
  version: "v1" | "v3";
  /** BgpPeer's raw inputs, for check. */
  inputs: Json;
  /** What the reader should know that is not a problem (an alpha manifest's name, not kept). */
  notes?: string[];
}

export interface ManifestProblem {
  where: string;
  message: string;
}

// ObjectMeta fields a v3 manifest may carry (as exported by calicoctl get -o yaml); only name,
// labels and annotations mean anything to a BgpPeer.
const V3_META = new Set(["name", "labels", "annotations", "uid", "resourceVersion", "creationTimestamp", "generation", "namespace"]);
const V1_META = new Set(["scope", "node", "peerIP"]);
// calicoctl's alpha manifests (seed 000): the node was "hostname", and a peer had a name.
const V1_ALPHA_META = new Set(["name", "hostname"]);

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The file names calicoctl reads from a directory given to -f (file/iter.go), case-insensitively. */
const MANIFEST_EXT = new Set([".yaml", ".yml", ".json"]);

/**
 * The files `-f` names, as calicoctl walks them: a file (or "-") as it is; a directory's manifest
 * files in lexical order, its subdirectories' too with `recursive` (-R). A directory with none is a
 * problem here, where calicoctl says nothing: a `validate -f` of a moved directory must not pass.
 */
export function manifestFiles(paths: string[], recursive = false): { files: string[]; problems: ManifestProblem[] } {
  const files: string[] = [];
  const problems: ManifestProblem[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) {
        if (recursive) walk(p);
      } else if (MANIFEST_EXT.has(path.extname(name).toLowerCase())) files.push(p);
    }
  };
  for (const f of paths) {
    if (f === "-" || !fs.existsSync(f) || !fs.statSync(f).isDirectory()) {
      files.push(f);
      continue;
    }
    const before = files.length;
    walk(f);
    if (files.length === before) {
      problems.push({
        where: f,
        message: `no manifest files (.yaml, .yml, .json) in the directory${recursive ? " or below it" : " (-R reads its subdirectories too)"}`,
      });
    }
  }
  return { files, problems };
}

/** Reads every document of `file` ("-": standard input). */
export function readManifests(file: string): { manifests: Manifest[]; problems: ManifestProblem[] } {
  const label = file === "-" ? "stdin" : file;
  let text: string;
  try {
    text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    return { manifests: [], problems: [{ where: label, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  const manifests: Manifest[] = [];
  const problems: ManifestProblem[] = [];
  let resources = 0;
  let i = 0;
  // YAML 1.1, as calicoctl's go-yaml reads it: `yes` is a boolean there, and so it is here. One
  // document at a time, so that each one's syntax tree can go before the next is built (a file of
  // 20,000 documents peaks at a third of the memory parseAllDocuments takes).
  const docs = new Composer({ version: "1.1" }).compose(new Parser().parse(text));
  for (;;) {
    let next: IteratorResult<Document.Parsed>;
    try {
      next = docs.next();
    } catch (e) {
      problems.push({ where: label, message: `cannot be read: ${(e as Error).message.split("\n")[0]}` });
      break;
    }
    if (next.done) break;
    const doc = next.value;
    const where = `${label}: document ${++i}`;
    if (doc.errors.length) {
      problems.push({ where, message: `not valid YAML or JSON: ${doc.errors[0].message.split("\n")[0]}` });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (e) {
      // The YAML library's guards (an alias bomb: "Excessive alias count ...") are one document's problem.
      problems.push({ where, message: `cannot be read: ${(e as Error).message.split("\n")[0]}` });
      continue;
    }
    if (value === null || value === undefined) continue;
    resources++;
    const items: [string, unknown][] = Array.isArray(value)
      ? value.map((x, j) => [`${where}, item ${j + 1}`, x])
      : isObject(value) && /List$/.test(String(value.kind)) && Array.isArray(value.items)
        ? value.items.map((x: unknown, j: number) => [`${where}, item ${j + 1}`, x])
        : [[where, value]];
    for (const [w, item] of items) {
      const r = toInputs(item);
      if ("message" in r) problems.push({ where: w, message: r.message });
      else manifests.push({ where: w, ...r });
    }
  }
  // As calicoctl: a file that holds nothing is an error, so a path that lost its content does not pass.
  if (resources === 0 && problems.length === 0) problems.push({ where: label, message: "no resources specified in the file" });
  return { manifests, problems };
}

/** One document (or a peer as `get -o yaml` prints it) as BgpPeer's raw inputs. */
export function toInputs(doc: unknown): { version: "v1" | "v3"; inputs: Json; notes?: string[] } | { message: string } {
  if (!isObject(doc)) return { message: "is not a resource (an object with apiVersion, kind, metadata and spec)" };
  const { apiVersion, kind } = doc;
  const meta = doc.metadata ?? {};
  const spec = doc.spec ?? {};
  if (!isObject(meta) || !isObject(spec)) return { message: "metadata and spec must be objects" };
  for (const k of Object.keys(doc)) {
    if (!["apiVersion", "kind", "metadata", "spec"].includes(k)) return { message: `field in document is not recognized or is in the wrong location: ${k}` };
  }
  if (apiVersion === "projectcalico.org/v3" && kind === "BGPPeer") {
    for (const k of Object.keys(meta))
      if (!V3_META.has(k)) return { message: `field in document is not recognized or is in the wrong location: metadata.${k}` };
    const inputs: Json = { ...spec };
    if (meta.name !== undefined) inputs.name = meta.name;
    if (meta.labels !== undefined) inputs.labels = meta.labels;
    if (meta.annotations !== undefined) inputs.annotations = meta.annotations;
    return { version: "v3", inputs };
  }
  // calicoctl v1 wants "bgpPeer"; its alpha documented "bgppeer".
  if (apiVersion === "v1" && typeof kind === "string" && kind.toLowerCase() === "bgppeer") {
    for (const k of Object.keys(meta))
      if (!V1_META.has(k) && !V1_ALPHA_META.has(k)) return { message: `field in document is not recognized or is in the wrong location: metadata.${k}` };
    for (const k of Object.keys(spec)) if (k !== "asNumber") return { message: `field in document is not recognized or is in the wrong location: spec.${k}` };
    if (meta.node !== undefined && meta.hostname !== undefined) {
      return { message: "metadata.node and metadata.hostname both name the peer's node (hostname is the alpha's spelling of node): give one" };
    }
    const node = meta.node ?? meta.hostname;
    // Seed terms, so that check derives calico-upgrade's name and converts the node name.
    const inputs: Json = { scope: meta.scope ?? (node === undefined ? "global" : "node"), peerIP: meta.peerIP, asNumber: spec.asNumber };
    if (meta.node !== undefined) inputs.node = meta.node;
    if (meta.hostname !== undefined) inputs.hostname = meta.hostname;
    const notes =
      meta.name === undefined
        ? undefined
        : [`metadata.name ${JSON.stringify(meta.name)} of calicoctl's alpha is not the v3 name: the peer is named as calico-upgrade names it`];
    return { version: "v1", inputs, notes };
  }
  return {
    message: `is not a BGP peer: kind ${JSON.stringify(kind)}, apiVersion ${JSON.stringify(apiVersion)} (expected BGPPeer in projectcalico.org/v3, or bgpPeer in v1)`,
  };
}

/** BgpPeer's check of one manifest: the normalized inputs, or every failure ("field: value and rule"). */
export function checkManifest(m: Manifest): { inputs: PeerInputs } | { failures: string[] } {
  const r = checkInputs(m.inputs);
  if (r.failures.length) return { failures: r.failures.map((f) => `${f.property}: ${f.reason}`) };
  return { inputs: r.inputs as unknown as PeerInputs };
}

/**
 * A checked peer as a v3 object: what `calicoctl convert` prints for a v1 peer (creationTimestamp
 * null, the spec in Go's field order), and what import generates code from.
 */
export function v3Object(inputs: PeerInputs): PeerView & { metadata: { name: string; creationTimestamp: null } } {
  const spec: Json = {};
  for (const f of SPEC_FIELDS) {
    const v = inputs[f];
    if (v === undefined || (FIELDS[f].kind === "bool" && v === false)) continue;
    spec[f] = v;
  }
  const metadata: Json & { name: string; creationTimestamp: null } = { name: inputs.name, creationTimestamp: null };
  if (inputs.labels) metadata.labels = inputs.labels;
  if (inputs.annotations) metadata.annotations = inputs.annotations;
  return { kind: "BGPPeer", apiVersion: "projectcalico.org/v3", metadata, spec };
}
