import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { peerKey } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";

/**
 * The calico-bgppeer commands that read files or a legacy datastore, run as a process: validate
 * and convert of seed-era v1 manifests, and import --from-etcdv2 of a Calico <= 2.6 datastore
 * (libcalico-go v1.7.3's layout, written here over a real etcd's v2 API).
 */
const MAIN = path.resolve(__dirname, "../../provider/cli/main.js");
let etcd: TestEtcd;
let dir: string;

function cli(args: string[], input?: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: "utf8", env: { PATH: process.env.PATH, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
async function v2put(key: string, value: string): Promise<void> {
  const res = await fetch(`${etcd.endpoint}/v2/keys${key}`, { method: "PUT", body: new URLSearchParams({ value }) });
  assert.ok(res.ok, `v2 PUT ${key}: ${res.status}`);
}

const V1 = `apiVersion: v1
kind: bgpPeer
metadata:
  scope: node
  node: rack1__Host1
  peerIP: 192.168.1.1
spec:
  asNumber: 63400
---
- apiVersion: v1
  kind: bgpPeer
  metadata:
    scope: global
    peerIP: 2001:DB8::0:1
  spec:
    asNumber: "1.10"
`;

before(async () => {
  etcd = await startEtcd({ enableV2: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-cli-"));
});
after(async () => {
  await etcd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("validate", () => {
  it("accepts valid v1 and v3 documents and names the document, field, value and rule of each problem", () => {
    const file = path.join(dir, "mixed.yaml");
    fs.writeFileSync(
      file,
      `${V1}---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: rr, labels: {role: rr}}
spec: {peerIP: 10.0.0.10, asNumber: 64512}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: bad}
spec: {peerIP: 10.0.0.300, asNumber: 4294967296}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: rr}
spec: {peerIP: 10.0.0.11, asNumber: 1}
---
{"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "p"}, "spec": {}}
`,
    );
    const r = cli(["validate", "-f", file]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "5 BGP peer(s) read, 3 valid, 4 problem(s)\n");
    const lines = r.stderr.trim().split("\n");
    assert.ok(
      lines.some((l) => /^.*mixed\.yaml: document 4 \(BGPPeer "bad"\): peerIP: "10\.0\.0\.300" is not a valid peer address/.test(l)),
      r.stderr,
    );
    assert.ok(
      lines.some((l) => /document 4 \(BGPPeer "bad"\): asNumber: .*4294967296/.test(l)),
      r.stderr,
    );
    assert.ok(
      lines.some((l) => /document 5 \(BGPPeer "rr"\): name: "rr" is also the name of .*document 3: one etcd key/.test(l)),
      r.stderr,
    );
    assert.ok(
      lines.some((l) => /document 6: is not a BGP peer: kind "IPPool"/.test(l)),
      r.stderr,
    );
    const ok = cli(["validate", "-f", "-"], V1);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, "2 BGP peer(s) read, 2 valid\n");
  });
});

describe("validate and convert, file by file", () => {
  const BOMB = `a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
`;
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it("an alias bomb is one problem of its file; the other files are still checked and the summary prints", () => {
    const two = write("two.yaml", V1);
    const bomb = write("bomb.yaml", BOMB);
    const bad = write("bad.yaml", "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: bad}\nspec: {peerIP: 10.0.0.300, asNumber: 1}\n");
    const r = cli(["validate", "-f", two, bomb, bad]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(`^${bomb.replace(/[.]/g, "\\.")}: document 1: cannot be read: Excessive alias count indicates a resource exhaustion attack$`, "m"),
    );
    assert.match(r.stderr, /bad\.yaml: document 1 \(BGPPeer "bad"\): peerIP: "10\.0\.0\.300" is not a valid peer address/);
    assert.equal(r.stdout, "3 BGP peer(s) read, 2 valid, 2 problem(s)\n");
    const c = cli(["convert", "-f", two, bomb]);
    assert.equal(c.status, 1);
    assert.match(c.stderr, /bomb\.yaml: document 1: cannot be read: Excessive alias count/);
    assert.match(c.stderr, /2 BGP peer\(s\) read, 1 problem\(s\)\. Nothing was converted\.$/m);
    assert.equal(c.stdout, "");
  });

  it("an empty file, one of comments only, or empty stdin is an error naming it, as in calicoctl", () => {
    const empty = write("empty.yaml", "");
    const comments = write("comments.yaml", "# nothing here yet\n---\n");
    for (const cmd of ["validate", "convert"]) {
      const r = cli([cmd, "-f", empty, comments]);
      assert.equal(r.status, 1, `${cmd}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${empty.replace(/[.]/g, "\\.")}: no resources specified in the file`));
      assert.match(r.stderr, /comments\.yaml: no resources specified in the file/);
    }
    assert.equal(cli(["validate", "-f", empty]).stdout, "0 BGP peer(s) read, 0 valid, 1 problem(s)\n");
    const stdin = cli(["validate", "-f", "-"], "");
    assert.equal(stdin.status, 1);
    assert.match(stdin.stderr, /^stdin: no resources specified in the file$/m);
  });

  it("a problem repeated in many documents is listed three times, then counted", () => {
    const many = write(
      "v3-many.yaml",
      Array.from(
        { length: 50 },
        (_, i) => `---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: p${i}}\nspec: {peerIP: 10.0.0.${i + 1}, asNumber: 64512}\n`,
      ).join(""),
    );
    const r = cli(["convert", "-f", many]);
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 5, r.stderr);
    assert.match(lines[0], /v3-many\.yaml: document 1: is already a projectcalico\.org\/v3 BGPPeer/);
    assert.equal(
      lines[3],
      "... and 47 more document(s) with the same problem: is already a projectcalico.org/v3 BGPPeer: nothing to convert (-o ts turns it into a BgpPeer)",
    );
    assert.equal(lines[4], "50 BGP peer(s) read, 50 problem(s). Nothing was converted.");
  });
});

describe("convert", () => {
  it("turns v1 peers into v3 ones with calico-upgrade's names, node names and dotted ASNs", () => {
    const r = cli(["convert", "-f", "-"], V1);
    assert.equal(r.status, 0, r.stderr);
    const list = parse(r.stdout);
    assert.equal(list.kind, "List");
    assert.deepEqual(list.items[0], {
      apiVersion: "projectcalico.org/v3",
      kind: "BGPPeer",
      metadata: { creationTimestamp: null, name: "rack1-host1.192-168-1-1" },
      spec: { asNumber: 63400, node: "rack1-host1", peerIP: "192.168.1.1" },
    });
    assert.equal(list.items[1].metadata.name, "2001-0db8-0000-0000-0000-0000-0000-0001");
    assert.deepEqual(list.items[1].spec, { asNumber: 65546, peerIP: "2001:db8::1" });
    const ts = cli(["convert", "-f", "-", "-o", "ts"], V1);
    assert.match(
      ts.stdout,
      /new BgpPeer\("rack1-host1\.192-168-1-1", \{ name: "rack1-host1\.192-168-1-1", node: "rack1-host1", peerIP: "192\.168\.1\.1", asNumber: 63400, adopt: true \}\)/,
    );
    const v3 = cli(["convert", "-f", "-"], "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: x}\nspec: {peerIP: 10.0.0.1, asNumber: 1}\n");
    assert.equal(v3.status, 1);
    assert.match(v3.stderr, /already a projectcalico\.org\/v3 BGPPeer: nothing to convert/);
  });
});

describe("seed 000's alpha manifest, exactly as the document shows it", () => {
  const SEED = path.resolve(__dirname, "../../../test/fixtures/seed-000-bgppeer.yaml");
  const NOTE = `note: ${SEED}: document 1: metadata.name "rack001-tor" of calicoctl's alpha is not the v3 name: the peer is named as calico-upgrade names it ("rack1-host1.192-168-1-1")\n`;
  it("validates, with a note that the alpha name is not the v3 name", () => {
    const r = cli(["validate", "-f", SEED]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "1 BGP peer(s) read, 1 valid\n");
    assert.equal(r.stderr, NOTE);
  });
  it("converts to the v3 YAML calico-upgrade gives the same peer, and to code", () => {
    const r = cli(["convert", "-f", SEED]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  creationTimestamp: null\n  name: rack1-host1.192-168-1-1\nspec:\n  asNumber: 63400\n  node: rack1-host1\n  peerIP: 192.168.1.1\n",
    );
    assert.equal(r.stderr, NOTE);
    const ts = cli(["convert", "-f", SEED, "-o", "ts"]);
    assert.equal(ts.status, 0, ts.stderr);
    assert.match(
      ts.stdout,
      /new BgpPeer\("rack1-host1\.192-168-1-1", \{ name: "rack1-host1\.192-168-1-1", node: "rack1-host1", peerIP: "192\.168\.1\.1", asNumber: 63400, adopt: true \}\)/,
    );
  });
});

describe("import --from-etcdv2", () => {
  it("reads libcalico-go v1's BGP peer keys over the v2 API and generates BgpPeers with calico-upgrade's names", async () => {
    await v2put("/calico/bgp/v1/global/peer_v4/10.0.0.1", '{"ip":"10.0.0.1","as_num":"64512"}');
    await v2put("/calico/bgp/v1/global/peer_v6/2001:db8::10", '{"ip":"2001:db8::10","as_num":"4259840100"}');
    for (const h of ["rack1-host1", "rack1-host2", "rack1-host3", "Rack1_Host4"]) {
      await v2put(`/calico/bgp/v1/host/${h}/peer_v4/192.168.1.1`, '{"ip":"192.168.1.1","as_num":"63400"}');
    }
    // Other v1 data under /calico/bgp/v1 (the global AS, node IPs) is not peers.
    await v2put("/calico/bgp/v1/global/as_num", "64511");
    await v2put("/calico/bgp/v1/host/rack1-host1/ip_addr_v4", "10.1.1.1");
    const out = path.join(dir, "legacy.ts");
    const r = cli(["import", "--from-etcdv2", etcd.endpoint, "--out", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stderr,
      `read 6 peer(s) from the v1 BGP peers in etcdv2 ${etcd.endpoint} (converted as calico-upgrade converts them)\nwrote 6 peer(s) to ${out}\n`,
    );
    const text = fs.readFileSync(out, "utf8");
    assert.match(text, /from the v1 BGP peers in etcdv2 http:\/\/127\.0\.0\.1:\d+/);
    assert.match(
      text,
      /racks\["rack1"\] = new RackPeers\("rack1", \{\n {2}hosts: \[\n {4}"rack1-host1", "rack1-host2", "rack1-host3", "rack1-host4",\n {2}\],/,
    );
    assert.match(text, /tors: \[\n {4}\{ ip: "192\.168\.1\.1", asNumber: 63400 \},\n {2}\],/);
    assert.match(text, /new BgpPeer\("10-0-0-1", \{ name: "10-0-0-1", peerIP: "10\.0\.0\.1", asNumber: 64512, adopt: true \}\)/);
    assert.match(text, /name: "2001-0db8-0000-0000-0000-0000-0000-0010", peerIP: "2001:db8::10", asNumber: 4259840100/);
    const none = cli(["import", "--from-etcdv2", "http://127.0.0.1:9"]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /cannot read the etcd v2 API at http:\/\/127\.0\.0\.1:9/);
  });
});

describe("the command's habits", () => {
  it("-c FILE wins over the environment's datastore variables, as calicoctl's does; a missing file is an error", async () => {
    await etcd.admin.put(peerKey("from-the-file")).value(
      JSON.stringify({
        kind: "BGPPeer",
        apiVersion: "projectcalico.org/v3",
        metadata: { name: "from-the-file" },
        spec: { peerIP: "10.0.0.7", asNumber: 64512 },
      }),
    );
    const cfg = path.join(dir, "calicoctl.cfg");
    fs.writeFileSync(
      cfg,
      `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${etcd.endpoint}\n`,
    );
    // The environment names a datastore that does not answer, and the Kubernetes one: -c sets both aside.
    const hostile = { ETCD_ENDPOINTS: "http://127.0.0.1:9", DATASTORE_TYPE: "kubernetes", KUBECONFIG: "/nonexistent", CALICOCTL_CONFIG: "/nonexistent" };
    const r = cli(["get", "bgppeers", "from-the-file", "-c", cfg, "-o", "wide"], undefined, hostile);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^from-the-file\s+10\.0\.0\.7\s+\(global\)\s+64512\s+$/m);
    const missing = cli(["get", "bgppeers", "-c", path.join(dir, "nope.cfg")]);
    assert.equal(missing.status, 1);
    assert.equal(
      missing.stderr,
      `--config ${path.join(dir, "nope.cfg")}: no such file (calicoctl would fall back to the environment; calico-bgppeer does not)\n`,
    );
    await etcd.admin.delete().key(peerKey("from-the-file"));
  });

  it("prints its version, fails with the usage when given no command, and shows examples in --help", () => {
    const version = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../package.json"), "utf8")).version;
    assert.deepEqual(cli(["version"]), { status: 0, stdout: `calico-bgppeer ${version}\n`, stderr: "" });
    const bare = cli([]);
    assert.equal(bare.status, 1);
    assert.equal(bare.stdout, "");
    assert.match(bare.stderr, /^Usage: calico-bgppeer \[options\] \[command\]/);
    const help = cli(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /It never writes\sto the datastore\./);
    assert.match(help.stdout, /Examples:\n {2}ETCD_ENDPOINTS=https:\/\/etcd1:2379 calico-bgppeer get bgppeers -o wide\n/);
  });

  it("import --out does not replace a file without --force, and reads nothing before saying so", () => {
    const file = path.join(dir, "kept.ts");
    fs.writeFileSync(file, "// my edits\n");
    // An endpoint that does not answer: the refusal comes first.
    const r = cli(["import", "--out", file], undefined, { ETCD_ENDPOINTS: "http://127.0.0.1:9" });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `--out ${file}: the file exists; calico-bgppeer import replaces it only with --force. Nothing was generated.\n`);
    assert.equal(fs.readFileSync(file, "utf8"), "// my edits\n");
    const forced = cli(["import", "--out", file, "--force"], undefined, { ETCD_ENDPOINTS: etcd.endpoint });
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(fs.readFileSync(file, "utf8"), /^\/\/ Generated by calico-bgppeer/);
  });
});
