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
  /** Rack r's node peers: hosts h, each with ToRs 10.0.r.1 and 10.0.r.2, named the calico-upgrade way. */
  const rack = (r: number, hosts: number[], extra: Record<string, unknown> = {}) =>
    hosts.flatMap((h) =>
      [1, 2].map((t) =>
        view(`r${r}-h${h}.10-0-${r}-${t}`, { node: `r${r}-h${h}`, peerIP: `10.0.${r}.${t}`, asNumber: 65000 + r, ...extra }, { rack: `r${r}` }),
      ),
    );

  it("makes a rack one RackPeers, with its hosts in natural order", () => {
    const views = [...rack(1, [10, 2, 1, 11, 3]), view("rr", { peerIP: "10.9.9.9", asNumber: 64512 })];
    const text = generateModule(views, { source: "etcd http://x" });
    assert.match(text, /racks\["r1"\] = new RackPeers\("r1", \{\n {2}hosts: \[\n {4}"r1-h1", "r1-h2", "r1-h3", "r1-h10", "r1-h11",\n {2}\],/);
    assert.match(
      text,
      /tors: \[\n {4}\{ ip: "10\.0\.1\.1", asNumber: 65001 \},\n {4}\{ ip: "10\.0\.1\.2", asNumber: 65001 \},\n {2}\],\n {2}peer: \{ labels: \{ rack: "r1" \} \},\n {2}adopt: true,/,
    );
    assert.match(text, /peers\["rr"\] = new BgpPeer\("rr", \{ name: "rr", peerIP: "10\.9\.9\.9", asNumber: 64512, adopt: true \}\);/);
    assert.match(text, /^import \{ BgpPeer, RackPeers \} from "pulumi-calico-bgppeer";$/m);
    assert.doesNotMatch(text, /import type/);
    assert.match(text, /11 BGP peer\(s\) as 1 RackPeers, 1 BgpPeer\(s\)\./);
  });

  it("makes a rack whose ToRs differ in more than address and AS number one BgpPeerSet, and groups with the same nodes one too", () => {
    const views = [
      ...[1, 2, 3].flatMap((h) =>
        [1, 2].map((t) =>
          view(`r1-h${h}.10-0-1-${t}`, { node: `r1-h${h}`, peerIP: `10.0.1.${t}`, asNumber: 65001, password: { secretKeyRef: { name: "s", key: `tor${t}` } } }),
        ),
      ),
      // Two custom-named groups with the same nodes (a rack's two ToRs), and one with other nodes.
      ...["a", "b"].flatMap((t) => [1, 2, 3].map((h) => view(`tor-${t}-r2-h${h}`, { node: `r2-h${h}`, peerIP: `10.0.2.${t === "a" ? 1 : 2}`, asNumber: 1 }))),
      ...[1, 2, 3].map((h) => view(`custom-${h}`, { node: `h${h}`, peerIP: "10.0.0.1", asNumber: 1 })),
    ];
    const text = generateModule(views, { source: "x" });
    assert.equal(text.match(/new BgpPeerSet\(/g)?.length, 3, text);
    assert.match(text, /as 3 BgpPeerSet\(s\)\./);
    assert.match(
      text,
      /sets\["custom"\] = new BgpPeerSet\("custom", \{\n {2}peers: nodePeers\(\{ peerIP: "10\.0\.0\.1", asNumber: 1 \}, \[\n {4}\["custom-1", "h1"\], \["custom-2", "h2"\], \["custom-3", "h3"\],\n {2}\]\),/,
    );
    assert.match(
      text,
      /\/\*\* 3 node\(s\) x 2 specs: 6 node peers\. \*\/\nsets\["r2"\] = new BgpPeerSet\("r2", \{\n {2}peers: \[\n {4}\.\.\.nodePeers\(\{ peerIP: "10\.0\.2\.1", asNumber: 1 \}, \[\n {6}\["tor-a-r2-h1", "r2-h1"\], \["tor-a-r2-h2", "r2-h2"\], \["tor-a-r2-h3", "r2-h3"\],\n {4}\]\),\n {4}\.\.\.nodePeers\(\{ peerIP: "10\.0\.2\.2", asNumber: 1 \}, \[\n {6}\["tor-b-r2-h1", "r2-h1"\],/,
    );
    assert.match(
      text,
      /sets\["r1"\] = new BgpPeerSet\("r1", \{\n {2}peers: \[\n {4}\.\.\.nodePeers\(\{ peerIP: "10\.0\.1\.1", asNumber: 65001, password: \{ secretKeyRef: \{ name: "s", key: "tor1" \} \} \}, \[\n {6}\["r1-h1\.10-0-1-1", "r1-h1"\],/,
    );
    assert.doesNotMatch(text, /RackPeers/);
  });

  it("leaves out a stack's mark, which BgpPeer refuses as an input, and says which stacks marked peers", () => {
    const mark = "pulumi-calico-bgppeer/stack";
    const views = [
      view("a", { peerIP: "10.9.9.1", asNumber: 1 }),
      { ...view("b", { peerIP: "10.9.9.2", asNumber: 1 }), metadata: { name: "b", annotations: { [mark]: "fabric/dev", note: "x" } } },
      { ...view("c", { peerIP: "10.9.9.3", asNumber: 1 }), metadata: { name: "c", annotations: { [mark]: "fabric/dev" } } },
    ];
    for (const perPeer of [false, true]) {
      const text = generateModule(views, { source: "x", perPeer });
      assert.doesNotMatch(text, /annotations: \{[^}]*pulumi-calico-bgppeer\/stack/, text);
      assert.match(text, /peers\["b"\] = new BgpPeer\("b", \{ name: "b", peerIP: "10\.9\.9\.2", asNumber: 1, annotations: \{ note: "x" \}, adopt: true \}\);/);
      assert.match(text, /peers\["c"\] = new BgpPeer\("c", \{ name: "c", peerIP: "10\.9\.9\.3", asNumber: 1, adopt: true \}\);/);
      assert.match(text, /^\/\/ 2 of them carry a Pulumi stack's mark \(fabric\/dev: 2\): an up of any$/m);
    }
    assert.doesNotMatch(generateModule(views.slice(0, 1), { source: "x" }), /mark/);
  });

  it("names groups after what their members share, each name once", () => {
    const views = [...rack(1, [1, 2, 3]), ...rack(1, [4, 5, 6], { keepOriginalNextHop: true })];
    const text = generateModule(views, { source: "x" });
    assert.match(text, /racks\["r1"\] = /);
    assert.match(text, /racks\["r1-2"\] = /);
  });

  it("keeps one BgpPeer per peer with perPeer: a rack's node list and a loop, and every other peer a literal", () => {
    const views: PeerView[] = [...rack(1, [1, 2, 3]), view("rr", { peerIP: "10.9.9.9", asNumber: 64512 })];
    views.push(view("odd-name", { node: "r1-h1", peerIP: "10.0.0.9", asNumber: 1 }));
    const text = generateModule(views, { source: "etcd http://x", perPeer: true });
    assert.match(text, /const nodes1 = \[\n {2}"r1-h1",\n {2}"r1-h2",\n {2}"r1-h3",\n\];/);
    assert.match(text, /\["10-0-1-1", \{ peerIP: "10\.0\.1\.1", asNumber: 65001, labels: \{ rack: "r1" \} \}\],/);
    assert.match(
      text,
      /peers\["odd-name"\] = new BgpPeer\("odd-name", \{ name: "odd-name", node: "r1-h1", peerIP: "10\.0\.0\.9", asNumber: 1, adopt: true \}\);/,
    );
    assert.equal(text.match(/new BgpPeer\(/g)!.length, 3, "one in the loop, two literals");
    assert.doesNotMatch(text, /RackPeers|BgpPeerSet/);
  });
});
