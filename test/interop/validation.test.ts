import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RuleError } from "../../provider/model/errors";
import { type CheckOptions, checkInputs } from "../../provider/model/spec";
import { parseCalicoVersion } from "../../provider/model/versions";
import { calicoctlValidate, type Result } from "../harness/calicoctl";
import { generateCorpus, METADATA_POOLS, type PeerDoc, POOLS, pinnedDocs, toInputs } from "./corpus";

/**
 * Differential validation: every document of a seeded corpus goes through our check and through
 * `calicoctl validate` (calicoctl's strict document parser, then libcalico-go's validator: what
 * `calicoctl create` runs before it writes, minus the BGPFilter lookup, which we do inside the
 * write transaction). Any disagreement must be one of the deliberate differences docs/calico.md lists.
 */
const SEED = 20261122;
/** The release of the calicoctl that scripts/tools.js builds. */
const CALICOCTL_VERSION = "v3.31.0";
const SIZE = 1200;

/**
 * The deliberate differences: rules where we reject what calicoctl v3.31 accepts. Each has the
 * wording of docs/calico.md and recognizes our failure by field and reason. Keep this list and docs/calico.md's
 * "Deliberate differences" section the same.
 */
export const DELIBERATE: Array<{ readme: string; matches(f: RuleError): boolean }> = [
  { readme: "asNumber is required on a peerIP peer", matches: (f) => f.property === "asNumber" && /is required for a peerIP peer/.test(f.reason) },
  {
    readme: "a peer needs one of peerIP, peerSelector or localWorkloadSelector",
    matches: (f) => f.property === "peerIP" && /a peer needs one of/.test(f.reason),
  },
  {
    readme: "nextHopMode and reversePeering must be one of their enum values",
    matches: (f) => ["nextHopMode", "reversePeering"].includes(f.property) && /must be one of/.test(f.reason),
  },
  { readme: "negative durations are rejected", matches: (f) => ["maxRestartTime", "keepaliveTime"].includes(f.property) && /is negative/.test(f.reason) },
  { readme: "negative numAllowedLocalASNumbers is rejected", matches: (f) => f.property === "numAllowedLocalASNumbers" && /^-/.test(f.reason) },
  { readme: "localASNumber 0 is rejected", matches: (f) => f.property === "localASNumber" && /^0 is not a usable local AS number/.test(f.reason) },
  { readme: "password.secretKeyRef needs a valid Secret name and key", matches: (f) => /^password\.secretKeyRef\.(name|key)$/.test(f.property) },
  {
    readme: "inputs are typed: a string field takes a string, not a number or a boolean",
    matches: (f) => /expected string, received (number|boolean)/.test(f.reason),
  },
  { readme: "a node name longer than 253 characters is rejected", matches: (f) => f.property === "node" && /is too long by \d+ bytes/.test(f.reason) },
  { readme: "field names are taken as spelled, not matched case-insensitively", matches: (f) => /^is not a BGPPeer input: did you mean \w+\?/.test(f.reason) },
  {
    readme: "peerIP longer than 64 and selectors longer than 4096 characters (Calico's CRD limits)",
    matches: (f) => /characters long: \w+ takes at most \d+/.test(f.reason),
  },
  { readme: "selectors nested more than 256 parentheses deep", matches: (f) => /nests parentheses \d+ deep/.test(f.reason) },
  { readme: "more than 127 filters (one etcd transaction)", matches: (f) => f.property === "filters" && /at most 127 fit/.test(f.reason) },
  { readme: "a peer whose JSON exceeds etcd's request size", matches: (f) => /make the stored value \d+ bytes as JSON/.test(f.reason) },
];

const MISSPELLED = DELIBERATE.find((d) => /case-insensitively/.test(d.readme))!;

/**
 * The deliberate differences the other way: what we accept and calicoctl v3.31 rejects. Each
 * holds only while no Calico version is configured; with calico:calicoVersion v3.31.0 we reject too.
 */
export const DELIBERATE_ACCEPTS: Array<{ readme: string; matches(doc: PeerDoc, calicoctl: string): boolean }> = [
  {
    readme: "keepaliveTime, a Calico v3.32 field that calicoctl v3.31 does not know",
    matches: (doc, calicoctl) => "keepaliveTime" in doc.spec && /not recognized or is in the wrong location: keepaliveTime/.test(calicoctl),
  },
];

/** The JSON field names calicoctl's message blames, mapped from Go's (PeerIP → peerIP, Metadata.Name → name). */
export function blamedFields(message: string): string[] {
  const out = new Set<string>();
  const goName = (g: string) => {
    const top = g.replace(/\[\d+\]$/, "");
    if (top.startsWith("Metadata.")) return top.slice("Metadata.".length).toLowerCase();
    return top === "ASNumber" ? "asNumber" : top === "TTLSecurity" ? "ttlSecurity" : top[0].toLowerCase() + top.slice(1);
  };
  for (const m of message.matchAll(/(?:error with field|^-) +([A-Z][\w.[\]]*) +=/gm)) out.add(goName(m[1]));
  for (const m of message.matchAll(/field BGPPeerSpec\.(\w+)/g)) out.add(m[1]);
  for (const m of message.matchAll(/not recognized or is in the wrong location: (\w+)/g)) out.add(m[1]);
  return [...out];
}

async function validateAll(corpus: PeerDoc[], parallel = 4): Promise<Result[]> {
  const results: Result[] = new Array(corpus.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < corpus.length) {
        const i = next++;
        results[i] = await calicoctlValidate(corpus[i]);
      }
    }),
  );
  return results;
}

interface Comparison {
  tally: { bothAccept: number; bothReject: number; deliberate: number; deliberateAccepts: number };
  used: Set<string>;
  usedAccepts: Set<string>;
  problems: string[];
}

/** Our check (with `opts`) against calicoctl's verdicts on the same documents. */
function compare(corpus: PeerDoc[], theirs: Result[], opts: CheckOptions): Comparison {
  const c: Comparison = { tally: { bothAccept: 0, bothReject: 0, deliberate: 0, deliberateAccepts: 0 }, used: new Set(), usedAccepts: new Set(), problems: [] };
  corpus.forEach((doc, i) => {
    const ours = checkInputs(toInputs(doc), opts).failures;
    const calico = theirs[i];
    const message = (calico.stderr + calico.stdout).trim();
    const show = () =>
      `#${i} ${JSON.stringify(doc.metadata)} ${JSON.stringify(doc.spec)}\n    ours: ${ours.map((f) => `${f.property}: ${f.reason}`).join("; ") || "accepted"}\n    calicoctl: ${message}`;
    if (calico.status !== 0 && !/^failed to (validate|execute command)/.test(message)) c.problems.push(`calicoctl did not run as expected: ${show()}`);
    else if (ours.length === 0 && calico.status === 0) c.tally.bothAccept++;
    else if (ours.length === 0) {
      const known = DELIBERATE_ACCEPTS.find((d) => d.matches(doc, message));
      if (!known) c.problems.push(`calicoctl rejects what we accept (we would write it): ${show()}`);
      else {
        c.tally.deliberateAccepts++;
        c.usedAccepts.add(known.readme);
      }
    } else if (calico.status === 0) {
      const unexplained = ours.filter((f) => !DELIBERATE.some((d) => d.matches(f)));
      if (unexplained.length) c.problems.push(`we reject what calicoctl accepts, not a deliberate difference: ${show()}`);
      else {
        c.tally.deliberate++;
        for (const f of ours) c.used.add(DELIBERATE.find((d) => d.matches(f))!.readme);
      }
    } else if (ours.some((f) => MISSPELLED.matches(f))) {
      // calicoctl reads the field under its other spelling, so it judges another document than we do.
      c.tally.bothReject++;
      c.used.add(MISSPELLED.readme);
    } else {
      c.tally.bothReject++;
      const blamed = blamedFields(message).map((b) => b.toLowerCase());
      // Every segment of our paths: calicoctl names an unknown key by its leaf name only. Letter
      // case aside: calicoctl matches field names case-insensitively and blames them by Go's name.
      const ourFields = ours.flatMap((f) => f.property.split(/[.[\]]/)).map((p) => p.toLowerCase());
      if (blamed.length && !blamed.some((b) => ourFields.includes(b))) {
        // calicoctl's strict parse stops at a field it does not know, which we take.
        const known = DELIBERATE_ACCEPTS.find((d) => d.matches(doc, message));
        if (!known) c.problems.push(`both reject, but for different fields (${blamed.join(", ")}): ${show()}`);
        else c.usedAccepts.add(known.readme);
      }
    }
  });
  return c;
}

describe("differential validation against calicoctl validate", () => {
  it(`agrees with calicoctl on a seeded corpus of ${SIZE} documents and one per difference, except for the deliberate differences`, async () => {
    const corpus = [...generateCorpus(SEED, SIZE), ...pinnedDocs()];
    const theirs = await validateAll(corpus);
    const { tally, used, usedAccepts, problems } = compare(corpus, theirs, {});
    console.log(`differential validation: ${corpus.length} documents (seed ${SEED}, ${corpus.length - SIZE} pinned): ${JSON.stringify(tally)}`);
    assert.deepEqual(problems, []);
    // The corpus must exercise both outcomes, every field, and every deliberate difference it claims.
    assert.ok(tally.bothAccept > SIZE / 5 && tally.bothReject > SIZE / 5, JSON.stringify(tally));
    for (const f of [...Object.keys(POOLS), ...Object.keys(METADATA_POOLS)]) {
      assert.ok(
        corpus.some((d) => f in d.spec || f in d.metadata),
        `no document sets ${f}`,
      );
    }
    assert.deepEqual([...used].sort(), DELIBERATE.map((d) => d.readme).sort(), "every deliberate difference is hit by the corpus");
    assert.deepEqual([...usedAccepts].sort(), DELIBERATE_ACCEPTS.map((d) => d.readme).sort(), "every difference the other way is hit by the corpus");

    // Told the cluster runs calicoctl's own release, we refuse what it does not know, and the
    // differences the other way disappear; the rest stay as they are.
    const v331 = compare(corpus, theirs, { calicoVersion: parseCalicoVersion(CALICOCTL_VERSION), versionSource: "test" });
    console.log(`differential validation with calico:calicoVersion ${CALICOCTL_VERSION}: ${JSON.stringify(v331.tally)}`);
    assert.deepEqual(v331.problems, []);
    assert.equal(v331.tally.deliberateAccepts, 0);
    assert.deepEqual([...v331.used].sort(), [...used].sort());
  });

  it("reads calicoctl's blamed fields from its messages", () => {
    assert.deepEqual(blamedFields("failed to validate 'BGPPeer' resource: [error with field Metadata.Name = 'Peer' (name must …)]"), ["name"]);
    assert.deepEqual(blamedFields("[error with the following fields:\n-  ASNumber = '1' (x)\n-  Filters[0] = 'B' (y)\n]"), ["asNumber", "filters"]);
    assert.deepEqual(blamedFields("error parsing document: cannot parse number '256' into field BGPPeerSpec.ttlSecurity of type uint8"), ["ttlSecurity"]);
    assert.deepEqual(blamedFields("error parsing document: json: cannot unmarshal number into Go value of type string"), []);
  });
});
