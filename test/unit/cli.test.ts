import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateModule } from "../../provider/cli/codegen";
import { goYaml, naturalLess } from "../../provider/cli/goyaml";
import type { PeerView } from "../../provider/cli/view";

describe("goYaml (go-yaml v2 as calicoctl uses it)", () => {
  it("orders keys naturally, digits by value", () => {
    const keys = ["k10", "k2", "k1", "a", "B", "rack10", "rack9", "x01", "x1", "-a", "1"];
    const sorted = [...keys].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
    assert.deepEqual(sorted, ["-a", "1", "B", "a", "k1", "k2", "k10", "rack9", "rack10", "x1", "x01"]);
  });

  it("quotes what would read as another type, single-quotes what cannot be plain, and writes newlines as literal blocks", () => {
    assert.equal(
      goYaml({ a: "2", b: "yes", c: "12:30", d: "[x]", e: "it's", f: "", g: "a\tb", h: "l1\nl2", i: "plain text", j: 64512, k: true, l: [], m: {} }),
      `a: "2"\nb: "yes"\nc: "12:30"\nd: '[x]'\ne: it's\nf: ""\ng: "a\\tb"\nh: |-\n  l1\n  l2\ni: plain text\nj: 64512\nk: true\nl: []\nm: {}\n`,
    );
    assert.equal(goYaml([{ a: 1, b: ["x"] }]), "- a: 1\n  b:\n  - x\n");
    assert.equal(goYaml(null), "null\n");
  });

  it("folds a long string at the first space past column 80", () => {
    const words = Array.from({ length: 20 }, (_, i) => `word${i}`).join(" ");
    const out = goYaml({ key: words });
    const [first, second] = out.split("\n");
    assert.ok(first.length > 80 && first.length < 90, first);
    assert.match(second, /^ {2}word/);
  });
});

describe("import's module", () => {
  const view = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>): PeerView => ({
    kind: "BGPPeer",
    apiVersion: "projectcalico.org/v3",
    metadata: { name, ...(labels ? { labels } : {}) },
    spec,
  });

  it("makes a rack's node peers one node list and a loop, and every other peer a literal", () => {
    const views: PeerView[] = [];
    for (const h of [1, 2, 3])
      for (const t of [1, 2]) views.push(view(`r1-h${h}.10-0-0-${t}`, { node: `r1-h${h}`, peerIP: `10.0.0.${t}`, asNumber: 65001 }, { rack: "r1" }));
    views.push(view("rr", { peerIP: "10.9.9.9", asNumber: 64512 }));
    views.push(view("odd-name", { node: "r1-h1", peerIP: "10.0.0.9", asNumber: 1 }));
    const text = generateModule(views, { source: "etcd http://x" });
    assert.match(text, /const nodes1 = \[\n {2}"r1-h1",\n {2}"r1-h2",\n {2}"r1-h3",\n\];/);
    assert.match(text, /\["10-0-0-1", \{ peerIP: "10\.0\.0\.1", asNumber: 65001, labels: \{ rack: "r1" \} \}\],/);
    assert.match(text, /peers\["rr"\] = new BgpPeer\("rr", \{ name: "rr", peerIP: "10\.9\.9\.9", asNumber: 64512, adopt: true \}\);/);
    assert.match(
      text,
      /peers\["odd-name"\] = new BgpPeer\("odd-name", \{ name: "odd-name", node: "r1-h1", peerIP: "10\.0\.0\.9", asNumber: 1, adopt: true \}\);/,
    );
    assert.equal(text.match(/new BgpPeer\(/g)!.length, 3, "one in the loop, two literals");
  });

  it("keeps names that do not follow calico-upgrade's pattern in the data", () => {
    const views = [1, 2, 3].map((h) => view(`custom-${h}`, { node: `h${h}`, peerIP: "10.0.0.1", asNumber: 1 }));
    const text = generateModule(views, { source: "x" });
    assert.match(text, /for \(const \[name, node\] of \[\n {2}\["custom-1", "h1"\],/);
  });
});
