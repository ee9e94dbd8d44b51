import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { checkManifest, readManifests, v3Object } from "../../provider/cli/manifests";
import { decodeValue, encodeValue, peerKey } from "../../provider/model/codec";
import { checkInputs, specEqual } from "../../provider/model/spec";
import { fieldsTooNew, parseCalicoVersion } from "../../provider/model/versions";

/**
 * The oldest seed's alpha manifest, Calico v3.33's selector limit, and numAllowedLocalASNumbers 0
 * as Calico means it: the pure rules; each is also tested against real stores (integration/cli,
 * integration/versions, integration/kube-versions, the interop scenarios).
 */

const SEED = path.resolve(__dirname, "../../../test/fixtures/seed-000-bgppeer.yaml");

function longSelector(n: number): string {
  let s = "has(x)";
  while (s.length < n) s += " && has(x)";
  return s;
}

describe("seed 000's alpha manifest (kind: bgppeer, metadata.hostname, metadata.name)", () => {
  it("is the seed document's sample byte for byte", () => {
    assert.equal(
      fs.readFileSync(SEED, "utf8"),
      "apiVersion: v1\nkind: bgppeer\nmetadata:\n  name: rack001-tor\n  scope: node\n  hostname: rack1-host1\n  peerIP: 192.168.1.1\nspec:\n  asNumber: 63400\n",
    );
  });
  it("reads as a v1 peer in seed terms, with the alpha name in a note, and converts with calico-upgrade's name", () => {
    const { manifests, problems } = readManifests(SEED);
    assert.deepEqual(problems, []);
    assert.equal(manifests.length, 1);
    const [m] = manifests;
    assert.equal(m.version, "v1");
    assert.deepEqual(m.inputs, { scope: "node", hostname: "rack1-host1", peerIP: "192.168.1.1", asNumber: 63400 });
    assert.deepEqual(m.notes, ['metadata.name "rack001-tor" of calicoctl\'s alpha is not the v3 name: the peer is named as calico-upgrade names it']);
    const c = checkManifest(m);
    assert.ok("inputs" in c, JSON.stringify(c));
    assert.deepEqual(v3Object(c.inputs), {
      kind: "BGPPeer",
      apiVersion: "projectcalico.org/v3",
      metadata: { name: "rack1-host1.192-168-1-1", creationTimestamp: null },
      spec: { node: "rack1-host1", peerIP: "192.168.1.1", asNumber: 63400 },
    });
  });
  it("takes kind in any case for v1, and refuses node and hostname together", () => {
    const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "bgppeer-alpha-"));
    try {
      const file = path.join(dir, "m.yaml");
      fs.writeFileSync(
        file,
        "apiVersion: v1\nkind: BGPPEER\nmetadata: {scope: global, peerIP: 10.0.0.1}\nspec: {asNumber: 1}\n---\napiVersion: v1\nkind: bgppeer\nmetadata: {scope: node, node: a, hostname: b, peerIP: 10.0.0.1}\nspec: {asNumber: 1}\n",
      );
      const { manifests, problems } = readManifests(file);
      assert.equal(manifests.length, 1);
      assert.deepEqual(problems, [
        {
          where: `${file}: document 2`,
          message: "metadata.node and metadata.hostname both name the peer's node (hostname is the alpha's spelling of node): give one",
        },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Calico v3.33's selector limit", () => {
  const v333 = parseCalicoVersion("v3.33.0")!;
  const v332 = parseCalicoVersion("v3.32.1")!;
  it("refuses a selector over 1024 characters for v3.33.0 and later, each selector field, naming it", () => {
    const long = longSelector(1025);
    const failures = fieldsTooNew({ nodeSelector: long, peerSelector: long, localWorkloadSelector: long }, v333, "calico:calicoVersion");
    assert.deepEqual(
      failures.map((f) => f.property),
      ["nodeSelector", "peerSelector", "localWorkloadSelector"],
    );
    assert.match(
      failures[0].message,
      /^nodeSelector: "has\(x\) && .*…" is 1026 characters long: Calico v3\.33\.0 \(calico:calicoVersion\) takes at most 1024 \(its CRD's limit from v3\.33\.0 on; 4096 before\)$/,
    );
    assert.deepEqual(fieldsTooNew({ nodeSelector: longSelector(1014) }, v333, "x"), []);
    assert.deepEqual(fieldsTooNew({ nodeSelector: long }, v332, "x"), [], "v3.32 allows 4096");
    assert.deepEqual(fieldsTooNew({ nodeSelector: long }, parseCalicoVersion("v3.34.0-0.dev")!, "x").length, 1);
  });
  it("applies at check when the version is configured, and not without one", () => {
    const raw = { name: "p", nodeSelector: longSelector(1025), peerIP: "10.0.0.1", asNumber: 1 };
    assert.deepEqual(checkInputs(raw).failures, []);
    assert.deepEqual(
      checkInputs(raw, { calicoVersion: v333, versionSource: "calico:calicoVersion" }).failures.map((f) => f.property),
      ["nodeSelector"],
    );
  });
});

describe("numAllowedLocalASNumbers 0", () => {
  it("is kept as a value at check and in what is written, as calicoctl keeps a *int32", () => {
    const { inputs, failures } = checkInputs({ name: "p", peerIP: "10.0.0.1", asNumber: 1, numAllowedLocalASNumbers: 0 });
    assert.deepEqual(failures, []);
    assert.equal(inputs!.numAllowedLocalASNumbers, 0);
    const value = encodeValue({
      name: "p",
      uid: "u",
      creationTimestamp: "2026-01-01T00:00:00Z",
      labels: {},
      annotations: {},
      spec: { peerIP: "10.0.0.1", asNumber: 1, numAllowedLocalASNumbers: 0 },
    });
    assert.match(value, /"numAllowedLocalASNumbers":0/);
    assert.equal(decodeValue(peerKey("p"), value).spec.numAllowedLocalASNumbers, 0);
  });
  it("equals unset, as confd renders both alike (no `allow local as`), and differs from any other number", () => {
    assert.ok(specEqual("numAllowedLocalASNumbers", 0, undefined));
    assert.ok(specEqual("numAllowedLocalASNumbers", undefined, 0));
    assert.ok(!specEqual("numAllowedLocalASNumbers", 1, undefined));
    assert.ok(!specEqual("numAllowedLocalASNumbers", 0, 1));
    // Other integers keep 0 as a value distinct from unset.
    assert.ok(!specEqual("ttlSecurity", 0, undefined));
  });
});
