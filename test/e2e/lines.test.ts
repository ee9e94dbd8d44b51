import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PEER_PREFIX, peerKey } from "../../provider/model/keys";
import { type Calicoctl, calicoctlFor } from "../harness/calicoctl";
import { suiteEtcd, type TestEtcd } from "../harness/etcd";
import { LINES, type Line, linePath, TYPES_NODE } from "../harness/lines";
import { PULUMI_TEMPLATE_TSCONFIG, packedTarball, sdkCopies, type UserProject, userProject } from "../harness/project";

/**
 * The supported matrix (scripts/matrix.js): on every line, a user's TypeScript project installs the
 * packed package next to the line's @pulumi/pulumi with plain `npm install` (no flags), on the
 * line's Node.js, and the line's plain `pulumi` CLI runs the scenarios users come for: up, a no-op
 * preview, preview --diff, drift, refresh, a conflict, adoption, the CLI import round trip,
 * RackPeers and destroy. Then a stack made on the oldest line of today's users (Node 20, SDK 3.248)
 * moves to the newest (Node 24, SDK 3.276, CLI 3.276) with no diff and no write.
 */
let work: string;
function dependencies(line: Line): Record<string, string> {
  return { "pulumi-calico-bgppeer": `file:${packedTarball()}`, "@pulumi/pulumi": line.sdk, typescript: "5.9.3", "@types/node": TYPES_NODE[line.node] };
}

interface Program {
  tor: number;
  rack: number;
  /** More fields of the route reflector. */
  rr?: string;
  /** Declare the calicoctl-made peer "legacy" with adopt. */
  legacy?: boolean;
  /** Use the module `calico-bgppeer import` wrote (peers.ts), and read edge2 with BgpPeer.get. */
  imported?: boolean;
}

/** A host peering with its ToR (seed terms), a route reflector, and a rack of 3 hosts with 2 ToRs. */
function program(o: Program): string {
  return `import { BgpPeer, RackPeers } from "pulumi-calico-bgppeer";
${o.imported ? 'import { peers } from "./peers";\n\nexport const imported = Object.keys(peers).length;\nexport const edge2Asn = BgpPeer.get("edge2-read", "edge2").asNumber;' : ""}
const tor = new BgpPeer("tor", { scope: "node", node: "rack1-host1", peerIP: "10.1.0.1", asNumber: ${o.tor} });
new BgpPeer("rr-v6", { name: "rr-v6", peerIP: "2001:db8::10", asNumber: 64512${o.rr ?? ""} });
new RackPeers("rack2", {
  hosts: ["rack2-host1", "rack2-host2", "rack2-host3"],
  tors: [{ ip: "10.2.0.1", asNumber: ${o.rack} }, { ip: "10.2.0.2", asNumber: ${o.rack} }],
  peer: { labels: { rack: "rack2" } },
});
${o.legacy ? 'new BgpPeer("legacy", { name: "legacy", peerIP: "10.7.0.1", asNumber: 65007, adopt: true });' : ""}
export const torName = tor.name;
export const runtime = process.version;
`;
}

async function peers(etcd: TestEtcd): Promise<Record<string, any>> {
  const kvs = await etcd.admin.getAll().prefix(PEER_PREFIX).strings();
  return Object.fromEntries(Object.entries(kvs).map(([k, v]) => [k.slice(PEER_PREFIX.length), JSON.parse(v)]));
}
async function revision(etcd: TestEtcd): Promise<bigint> {
  return BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
}

/** A project on `line`, with a dev stack pointed at `etcd`. */
function projectOn(line: Line, name: string, etcd: TestEtcd, index: string): UserProject {
  const p = userProject(work, name, {
    dependencies: dependencies(line),
    pathFirst: linePath(line),
    files: { "tsconfig.json": JSON.stringify({ ...PULUMI_TEMPLATE_TSCONFIG, files: ["index.ts"] }, null, 2), "index.ts": index },
  });
  p.ok(["stack", "init", "dev"]);
  p.ok(["config", "set", "calico:etcdEndpoints", etcd.endpoint]);
  return p;
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-lines-"));
});
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

for (const line of LINES) {
  describe(`line ${line.id}: Node ${line.node}, @pulumi/pulumi ${line.sdk}, pulumi ${line.cli}`, { concurrency: false }, () => {
    const etcd = suiteEtcd();
    let ctl: Calicoctl;
    let p: UserProject;
    before(() => {
      ctl = calicoctlFor(etcd.endpoint);
    });
    after(() => ctl?.cleanup());

    it("npm install takes the package beside the line's SDK with no flags, one SDK copy, on the line's Node.js and CLI", () => {
      p = projectOn(line, line.id, etcd, program({ tor: 64512, rack: 65002 }));
      assert.deepEqual(sdkCopies(p.dir), [path.join(p.dir, "node_modules/@pulumi/pulumi")]);
      assert.equal(JSON.parse(fs.readFileSync(path.join(p.dir, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version, line.sdk);
      assert.match(p.run("node", ["--version"]).stdout, new RegExp(`^v${line.node}\\.`));
      assert.equal(p.ok(["version"]).trim(), line.cli);
    });

    it("up creates the peers; a no-op preview writes nothing; the program ran on the line's Node.js", async () => {
      assert.match(p.ok(["up", "--yes"]), /\+ 4 created/);
      assert.equal(Object.keys(await peers(etcd)).length, 8);
      assert.match(p.ok(["stack", "output", "runtime"]), new RegExp(`^v${line.node}\\.`));
      const rev = await revision(etcd);
      assert.match(p.ok(["preview", "--expect-no-changes"]), /4 unchanged/);
      assert.equal(await revision(etcd), rev);
    });

    it("each resource stores as __provider what the line's closure serializer writes for its shim", () => {
      // The program writes the text without running the serializer (program/provider-text.ts).
      const stored: [string, string][] = JSON.parse(p.ok(["stack", "export"]))
        .deployment.resources.filter((r: any) => /:(BgpPeer|BgpPeerSet)$/.test(r.type))
        .map((r: any) => [r.type.replace(/^.*:/, ""), r.inputs.__provider]);
      assert.equal(stored.length, 3);
      const serialized = p.run("node", [
        "-e",
        `const { serializeFunction } = require("@pulumi/pulumi/runtime");
const texts = {};
(async () => {
  for (const [type, shim] of [["BgpPeer", "shim"], ["BgpPeerSet", "set-shim"]]) {
    const provider = require("pulumi-calico-bgppeer/" + shim);
    texts[type] = (await serializeFunction(() => provider, { allowSecrets: true })).text;
  }
  console.log(JSON.stringify(texts));
})();`,
      ]);
      assert.equal(serialized.status, 0, serialized.stderr);
      const texts = JSON.parse(serialized.stdout);
      assert.deepEqual(
        stored,
        stored.map(([type]) => [type, texts[type]]),
      );
    });

    it("preview --diff shows each changed field, of a BgpPeer and of a rack's peers; up applies them in place", async () => {
      p.write("index.ts", program({ tor: 64513, rack: 65003 }));
      const rev = await revision(etcd);
      // A set's change list goes to stderr with --diff (the engine's own diff shows its whole peers map).
      const r = p.pulumi(["preview", "--diff"]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const pv = r.stdout + r.stderr;
      assert.match(pv, /^\s+~ asNumber: 64512 => 64513$/m);
      assert.match(pv, /~ peers\["rack2-host3\.10-2-0-2"\]\.asNumber: 65002 => 65003/);
      assert.match(pv, /~ 2 to update/);
      assert.equal(await revision(etcd), rev, "preview wrote nothing");
      const uid = (await peers(etcd))["rack1-host1.10-1-0-1"].metadata.uid;
      assert.match(p.ok(["up", "--yes"]), /~ 2 updated/);
      const now = await peers(etcd);
      assert.equal(now["rack1-host1.10-1-0-1"].spec.asNumber, 64513);
      assert.equal(now["rack1-host1.10-1-0-1"].metadata.uid, uid);
      assert.equal(now["rack2-host2.10-2-0-1"].spec.asNumber, 65003);
    });

    it("drift shows in preview --refresh --diff; an up over it is refused with nothing written; refresh then up restores", async () => {
      const v = (await peers(etcd))["rr-v6"];
      v.spec.asNumber = 65000;
      await etcd.admin.put(peerKey("rr-v6")).value(JSON.stringify(v));
      assert.match(p.ok(["preview", "--refresh", "--diff"]), /^\s+~ asNumber: 65000 => 64512$/m);
      const KEEP = ", keepOriginalNextHop: true";
      p.write("index.ts", program({ tor: 64513, rack: 65003, rr: KEEP }));
      const rev = await revision(etcd);
      const r = p.pulumi(["up", "--yes"]);
      assert.notEqual(r.status, 0);
      assert.match(r.stdout + r.stderr, /BGPPeer "rr-v6" was changed outside Pulumi/);
      assert.equal(await revision(etcd), rev, "nothing was written");
      p.ok(["refresh", "--yes"]);
      const state = JSON.parse(p.ok(["stack", "export"]));
      assert.equal(state.deployment.resources.find((x: any) => x.id === "rr-v6").outputs.asNumber, 65000);
      p.ok(["up", "--yes"]);
      assert.deepEqual((await peers(etcd))["rr-v6"].spec, { peerIP: "2001:db8::10", asNumber: 64512, keepOriginalNextHop: true });
    });

    it("adopts a calicoctl-made peer without a write; the CLI's import round trip and BgpPeer.get write nothing", async () => {
      ctl.ok(["create", "-f", "-"], "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: legacy}\nspec: {peerIP: 10.7.0.1, asNumber: 65007}\n");
      ctl.ok(
        ["apply", "-f", "-"],
        [1, 2, 3, 4]
          .map(
            (h) =>
              `---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: edge${h}}\nspec: {node: edge-host${h}, peerIP: 192.0.2.1, asNumber: 65010}\n`,
          )
          .join(""),
      );
      const now = { tor: 64513, rack: 65003, rr: ", keepOriginalNextHop: true", legacy: true };
      p.write("index.ts", program(now));
      const rev = await revision(etcd);
      assert.match(p.ok(["up", "--yes"]), /\+ 1 created/);
      assert.equal(await revision(etcd), rev, "adopting an equal peer writes nothing");

      const imp = p.run("npx", ["--no-install", "calico-bgppeer", "import", "--node", "edge-host1", "--out", "peers.ts"], { ETCD_ENDPOINTS: etcd.endpoint });
      assert.equal(imp.status, 0, imp.stderr);
      const all = p.run("npx", ["--no-install", "calico-bgppeer", "get", "bgppeers", "-o", "yaml"], { ETCD_ENDPOINTS: etcd.endpoint });
      assert.equal(all.stdout, ctl.ok(["get", "bgppeers", "-o", "yaml"]), "get prints what calicoctl prints");
      p.write("index.ts", program({ ...now, imported: true }));
      p.write("tsconfig.json", JSON.stringify({ ...PULUMI_TEMPLATE_TSCONFIG, files: ["index.ts", "peers.ts"] }, null, 2));
      p.ok(["up", "--yes"]);
      assert.equal(p.ok(["stack", "output", "imported"]).trim(), "1");
      assert.equal(p.ok(["stack", "output", "edge2Asn"]).trim(), "65010", "BgpPeer.get reads a peer the stack does not manage");
      assert.equal(await revision(etcd), rev, "taking the imported peer into state writes nothing");
      p.ok(["preview", "--expect-no-changes"]);
      p.ok(["refresh", "--yes", "--expect-no-changes"]);
      assert.equal(await revision(etcd), rev);
    });

    it("destroy removes exactly the stack's peers", async () => {
      p.ok(["destroy", "--yes"]);
      assert.deepEqual(Object.keys(await peers(etcd)).sort(), ["edge2", "edge3", "edge4"]);
    });
  });
}

describe("a stack made on Node 20 with SDK 3.248 and CLI 3.248, moved to Node 24, SDK 3.276 and CLI 3.276", { concurrency: false }, () => {
  const from = LINES.find((l) => l.node === 20 && l.sdk === "3.248.0" && l.cli === "v3.248.0")!;
  const to = LINES.find((l) => l.node === 24 && l.sdk === "3.276.0" && l.cli === "v3.276.0")!;
  const etcd = suiteEtcd();

  it("shows no diff, refreshes and updates with no write, and then manages the peers as before", async () => {
    const p = projectOn(from, "upgraded", etcd, program({ tor: 64512, rack: 65002 }));
    p.ok(["up", "--yes"]);
    const before = JSON.parse(p.ok(["stack", "export"])).deployment.resources.filter((r: any) => r.type.startsWith("pulumi-nodejs:dynamic/"));
    const rev = await revision(etcd);

    // The user's upgrade: the new SDK from the registry, run by the new Node.js and CLI.
    const PATH = [...linePath(to), process.env.PATH].join(path.delimiter);
    const up = p.run(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", `@pulumi/pulumi@${to.sdk}`, `@types/node@${TYPES_NODE[to.node]}`],
      {
        PATH,
      },
    );
    assert.equal(up.status, 0, up.stderr);
    assert.deepEqual(sdkCopies(p.dir), [path.join(p.dir, "node_modules/@pulumi/pulumi")]);
    const on = { PATH };
    assert.equal(p.ok(["version"], on).trim(), to.cli);
    assert.match(p.ok(["preview", "--diff", "--expect-no-changes"], on), /4 unchanged/);
    assert.match(p.ok(["refresh", "--yes", "--expect-no-changes"], on), /4 unchanged/);
    assert.match(p.ok(["up", "--yes", "--expect-no-changes"], on), /4 unchanged/);
    assert.equal(await revision(etcd), rev, "the upgrade wrote nothing");
    const after = JSON.parse(p.ok(["stack", "export"], on)).deployment.resources.filter((r: any) => r.type.startsWith("pulumi-nodejs:dynamic/"));
    // The engine may write resources in another order; each keeps its inputs and outputs.
    const byUrn = (rs: any[]) => Object.fromEntries(rs.map((r: any) => [r.urn, [r.inputs, r.outputs]]));
    assert.deepEqual(byUrn(after), byUrn(before), "state holds the same inputs and outputs");
    assert.equal(after.length, 3, "two BgpPeers and a RackPeers");
    p.write("index.ts", program({ tor: 64513, rack: 65002 }));
    assert.match(p.ok(["up", "--yes"], on), /~ 1 updated/);
    assert.equal((await peers(etcd))["rack1-host1.10-1-0-1"].spec.asNumber, 64513);
    p.ok(["destroy", "--yes"], on);
    assert.deepEqual(await peers(etcd), {});
  });
});

describe("Node 20 with SDK 3.276, outside the matrix (Pulumi's SDK declares Node 22+ from 3.249)", { concurrency: false }, () => {
  const on: Line = { id: "node20-sdk3.276", node: 20, sdk: "3.276.0", cli: "v3.248.0", suite: "project" };
  const etcd = suiteEtcd();

  it("installs, runs, and a preview warns once, naming the versions and what to use", async () => {
    const p = projectOn(on, "node20-new-sdk", etcd, program({ tor: 64512, rack: 65002 }));
    const warning =
      /pulumi-calico-bgppeer: @pulumi\/pulumi 3\.276\.0 requires Node\.js 22 or newer \(its engines field, since 3\.249\.0\), and this program runs on Node\.js 20\.\d+\.\d+\. pulumi-calico-bgppeer does not test this combination\. Use Node\.js 22 or 24, or @pulumi\/pulumi below 3\.249\.0\./g;
    const pv = p.ok(["preview"]);
    // The CLI prints a diagnostic as it happens and again in its Diagnostics summary.
    assert.equal(pv.split("Diagnostics:")[1]?.match(warning)?.length, 1, pv);
    assert.match(p.ok(["up", "--yes"]), /\+ 4 created/);
    assert.equal(Object.keys(await peers(etcd)).length, 8);
    p.ok(["destroy", "--yes"]);
  });
});
