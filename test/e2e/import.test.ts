import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { peerKey } from "../../provider/model/keys";
import { type Calicoctl, calicoctlFor } from "../harness/calicoctl";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { PULUMI_TEMPLATE_TSCONFIG, packedTarball, type UserProject, userProject } from "../harness/project";

/**
 * `calico-bgppeer import` as a user runs it: a fabric of 1,004 peers written by calicoctl, imported
 * with the package's own bin in a user's TypeScript project, compiled with tsc --strict, and taken
 * into state by `pulumi up` without a single etcd write; the next preview and refresh show nothing.
 */
let etcd: TestEtcd;
let ctl: Calicoctl;
let work: string;
let p: UserProject;

const RACKS = 12;
const HOSTS = 40;

/** 12 racks x 40 hosts x 2 ToRs (960 node peers), and 44 one-off peers of every other shape. */
function fabric(): object[] {
  const docs: object[] = [
    {
      apiVersion: "projectcalico.org/v3",
      kind: "BGPFilter",
      metadata: { name: "edge" },
      spec: { exportV4: [{ action: "Reject", matchOperator: "In", cidr: "10.0.0.0/8" }] },
    },
  ];
  const peer = (name: string, spec: object, metadata: object = {}) =>
    docs.push({ apiVersion: "projectcalico.org/v3", kind: "BGPPeer", metadata: { name, ...metadata }, spec });
  for (let r = 1; r <= RACKS; r++) {
    for (let h = 1; h <= HOSTS; h++) {
      for (const t of [1, 2])
        peer(
          `rack${r}-host${h}.10-0-${r}-${t}`,
          { node: `rack${r}-host${h}`, peerIP: `10.0.${r}.${t}`, asNumber: 65000 + r },
          { labels: { rack: `rack${r}` } },
        );
    }
  }
  for (let i = 1; i <= 40; i++)
    peer(`edge-${i}`, { node: `edge-host${i}`, peerIP: "192.0.2.1", asNumber: "1.10", filters: ["edge"], keepOriginalNextHop: true });
  peer("rr-v6", { peerIP: "2001:DB8::10", asNumber: 64512, password: { secretKeyRef: { name: "bgp", key: "rr" } } }, { annotations: { owner: "net <team>" } });
  peer("rr-mesh", { nodeSelector: "has(route-reflector)", peerSelector: "has(route-reflector)" });
  peer("ported", { peerIP: "[2001:db8::20]:1790", asNumber: 64513, maxRestartTime: "2m", ttlSecurity: 0 });
  peer("selected", { nodeSelector: "rack == 'rack1'", peerIP: "10.9.9.9", asNumber: 64514, sourceAddress: "None" });
  // Strings go-yaml quotes or folds: -o yaml must match calicoctl's quoting and line breaks.
  const tricky = ["true", "yes", "NO", "on", "1e3", "0x1F", "0o17", "1_000", "12:30", "1:2:3", "2026-11-29T16:09:09Z", ".inf", "+1", "null", "~", "-"];
  const special = [
    "x: y",
    "[a]",
    "{b}",
    "@x",
    "%y",
    "!z",
    "|p",
    ">q",
    "?r",
    ",s",
    "trailing ",
    " lead",
    "a #b",
    "&a",
    "*x",
    "it's",
    'say "hi"',
    "line1\nline2",
    "a\tb",
    "é€",
    "",
  ];
  const long = "[quoted] and a long string with spaces that needs single quotes and folding beyond eighty columns wide";
  peer(
    "quoting",
    { nodeSelector: "rack == 'rack1' && has(route-reflector) && role in {'a', 'b', 'c', 'd'} && zone != 'x'", peerSelector: "has(route-reflector)" },
    { annotations: { ...Object.fromEntries([...tricky, ...special].map((v, i) => [`k${i}`, v])), long, plainLong: long.slice(9) } },
  );
  return docs;
}
const PEERS = RACKS * HOSTS * 2 + 45;

async function revision(): Promise<bigint> {
  return BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
}
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return p.run("npx", ["--no-install", "calico-bgppeer", ...args], { ETCD_ENDPOINTS: etcd.endpoint, ...env });
}

before(async () => {
  etcd = await startEtcd();
  ctl = calicoctlFor(etcd.endpoint, 600_000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-import-"));
  const file = path.join(work, "fabric.yaml");
  fs.writeFileSync(
    file,
    fabric()
      .map((d) => `---\n${stringify(d)}`)
      .join(""),
  );
  ctl.ok(["apply", "-f", file]);
  p = userProject(work, "imported", {
    dependencies: { "pulumi-calico-bgppeer": `file:${packedTarball()}`, "@pulumi/pulumi": "3.248.0", typescript: "5.9.3", "@types/node": "20.19.25" },
    files: {
      "tsconfig.json": JSON.stringify({ ...PULUMI_TEMPLATE_TSCONFIG, files: ["index.ts", "peers.ts"] }, null, 2),
      "index.ts": 'import { peers } from "./peers";\n\nexport const count = Object.keys(peers).length;\n',
    },
  });
  p.ok(["stack", "init", "dev"]);
  p.ok(["config", "set", "calico:etcdEndpoints", etcd.endpoint]);
});
after(async () => {
  ctl?.cleanup();
  await etcd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("calico-bgppeer, installed in a user's project", { concurrency: false }, () => {
  it("get prints what calicoctl prints, in every output format", () => {
    for (const o of ["wide", "yaml", "json"]) {
      const ours = cli(["get", "bgppeers", "-o", o]);
      assert.equal(ours.status, 0, ours.stderr);
      assert.equal(ours.stdout, ctl.ok(["get", "bgppeers", "-o", o]), `-o ${o} of ${PEERS} peers`);
    }
    for (const names of [["rr-v6"], ["ported", "rr-mesh"]]) {
      for (const o of ["ps", "yaml", "json"]) assert.equal(cli(["get", "bp", ...names, "-o", o]).stdout, ctl.ok(["get", "bp", ...names, "-o", o]));
    }
    const byNode = cli(["get", "BGPPeer", "--node", "rack3-host7"]);
    assert.equal(byNode.stdout.trim().split("\n").length, 3, byNode.stdout);
    const bySelector = cli(["get", "bgpps", "-l", "rack in {'rack2', 'rack5'}", "-o", "json"]);
    assert.equal(JSON.parse(bySelector.stdout).items.length, 2 * HOSTS * 2);
  });

  it(`import generates a module that compiles under tsc --strict, and up takes all ${PEERS} peers into state without an etcd write`, async () => {
    const r = cli(["import", "--out", "peers.ts"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`wrote ${PEERS} peer\\(s\\) to peers.ts`));
    const text = fs.readFileSync(path.join(p.dir, "peers.ts"), "utf8");
    assert.ok(text.split("\n").length < 1100, `grouped into data and loops (${text.split("\n").length} lines for ${PEERS} peers)`);
    assert.match(text, /for \(const node of nodes1\) \{/);
    const tsc = p.run("npx", ["--no-install", "tsc", "--noEmit", "-p", "."]);
    assert.equal(tsc.status, 0, `tsc --strict:\n${tsc.stdout}${tsc.stderr}`);

    const r0 = await revision();
    p.ok(["up", "--yes"]);
    assert.equal(await revision(), r0, "no etcd write");
    const state = JSON.parse(p.ok(["stack", "export"])).deployment.resources.filter((x: any) => x.type === "pulumi-nodejs:dynamic/calico:BgpPeer");
    assert.equal(state.length, PEERS);
    assert.equal(p.ok(["stack", "output", "count"]).trim(), String(PEERS));
    p.ok(["preview", "--expect-no-changes"]);
    p.ok(["refresh", "--yes", "--expect-no-changes"]);
    assert.equal(await revision(), r0, "still no etcd write");
  });

  it("fails with a clear message and exit code 1, writing nothing, on a bad selector, an unreadable value or no etcd", async () => {
    const bad = cli(["get", "bp", "-l", "rack =="]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--selector: "rack ==" is not a valid Calico selector/);
    const word = cli(["get", "bgpfilters"]);
    assert.equal(word.status, 1);
    assert.match(word.stderr, /resource type 'bgpfilters' is not supported/);
    await etcd.admin.put(peerKey("broken")).value("{not json");
    const r0 = await revision();
    const imp = cli(["import"]);
    assert.equal(imp.status, 1);
    assert.match(
      imp.stderr,
      /the value stored at \/calico\/resources\/v3\/projectcalico.org\/bgppeers\/broken is not a BGPPeer Calico can read .*\nNothing was generated\./,
    );
    assert.equal(imp.stdout, "");
    const get = cli(["get", "bp", "-o", "wide"]);
    assert.equal(get.status, 1, "get lists the readable peers and fails for the rest");
    assert.match(get.stderr, /bgppeers\/broken is not a BGPPeer Calico can read/);
    assert.equal(await revision(), r0);
    const down = cli(["get", "bp"], { ETCD_ENDPOINTS: "http://127.0.0.1:9", ETCD_TIMEOUT: "1" });
    assert.equal(down.status, 1);
    assert.match(down.stderr, /cannot reach etcd http:\/\/127\.0\.0\.1:9 \(from environment\)/);
  });
});
