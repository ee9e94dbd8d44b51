import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { CRD_GROUP_V1, crBody } from "../../provider/model/kdd";
import { peerKey } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { CRD, startKube, type TestKube } from "../harness/kube";

/**
 * The CLI's habits against real servers, run as a process: diff -f against etcd and the
 * Kubernetes API, -f with a directory and -R, --context, and the completion scripts run by real
 * bash and zsh.
 */
const MAIN = path.resolve(__dirname, "../../provider/cli/main.js");
let etcd: TestEtcd;
let kube: TestKube;
let dir: string;

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: dir, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const peer = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) => ({
  kind: "BGPPeer",
  apiVersion: "projectcalico.org/v3",
  metadata: labels ? { name, labels } : { name },
  spec,
});

/** The manifests: one unchanged, one with a new AS number (dotted, as stored: 1.10 is 65546) and a label dropped, one new. */
function writeManifests(root: string): void {
  fs.mkdirSync(path.join(root, "racks", "r2"), { recursive: true });
  fs.writeFileSync(path.join(root, "same.yaml"), stringify(peer("same", { peerIP: "10.0.0.1", asNumber: 64512 })));
  fs.writeFileSync(path.join(root, "notes.txt"), "not a manifest: -f DIR reads .yaml, .yml and .json only\n");
  fs.writeFileSync(path.join(root, "racks", "changed.YML"), stringify(peer("changed", { peerIP: "10.0.0.2", asNumber: "1.10" })));
  fs.writeFileSync(path.join(root, "racks", "r2", "new.json"), JSON.stringify(peer("new-one", { node: "r2-h1", peerIP: "10.2.0.1", asNumber: 65002 })));
}

const LIVE = [peer("same", { peerIP: "10.0.0.1", asNumber: 64512 }), peer("changed", { peerIP: "10.0.0.2", asNumber: 64512 }, { rack: "r1" })];

const DIFF = `~ BGPPeer(changed).asNumber: 64512 => 65546
~ BGPPeer(changed).labels["rack"]: "r1" => (unset)
+ BGPPeer(new-one)
3 BGP peer(s) read: 1 to create, 1 to change, 1 unchanged
`;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-habits-"));
  [etcd, kube] = await Promise.all([startEtcd(), startKube()]);
  for (const p of LIVE) {
    await etcd.admin.put(peerKey(p.metadata.name)).value(JSON.stringify(p));
    const r = await kube.call("POST", `${CRD}/bgppeers`, JSON.parse(crBody(JSON.stringify(p), CRD_GROUP_V1)));
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  writeManifests(path.join(dir, "peers"));
  // A kubeconfig whose current context is a server that does not answer; "live" is the real one.
  const cfg = parse(fs.readFileSync(kube.kubeconfig, "utf8"));
  const ctx = cfg.contexts[0];
  cfg.clusters.push({ name: "dead", cluster: { server: "https://127.0.0.1:9" } });
  cfg.contexts = [
    { name: "dead", context: { ...ctx.context, cluster: "dead" } },
    { name: "live", context: ctx.context },
  ];
  cfg["current-context"] = "dead";
  fs.writeFileSync(path.join(dir, "kubeconfig"), stringify(cfg));
});
after(async () => {
  await Promise.all([etcd?.stop(), kube?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("diff -f", () => {
  it("prints each change a line, as a preview does, says where it compared, and writes nothing (etcd)", async () => {
    const before = await etcd.admin.get("/").exec();
    const r = cli(["diff", "-f", path.join(dir, "peers"), "-R"], { ETCD_ENDPOINTS: etcd.endpoint });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, DIFF);
    assert.equal(r.stderr, `comparing with etcd ${etcd.endpoint} (from environment)\n`);
    const after = await etcd.admin.get("/").exec();
    assert.equal(after.header.revision, before.header.revision, "diff wrote to etcd");
  });

  it("does the same on the Kubernetes datastore, with --context choosing the kubeconfig's context", async () => {
    const env = { DATASTORE_TYPE: "kubernetes", KUBECONFIG: path.join(dir, "kubeconfig") };
    const r = cli(["diff", "-R", "-f", path.join(dir, "peers"), "--context", "live"], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, DIFF);
    assert.match(r.stderr, /^comparing with the Kubernetes API server https:\/\/127\.0\.0\.1:\d+ \(context live, from .*kubeconfig\)\n$/);
    // Without --context: the current one, which does not answer.
    const dead = cli(["get", "bgppeers"], env);
    assert.equal(dead.status, 1);
    assert.match(dead.stderr, /127\.0\.0\.1:9/);
    const got = cli(["get", "bgppeers", "--context", "live", "-o", "yaml"], env);
    assert.equal(got.status, 0, got.stderr);
    assert.deepEqual(
      parse(got.stdout).items.map((i: { metadata: { name: string } }) => i.metadata.name),
      ["changed", "same"],
    );
    const missing = cli(["get", "bgppeers", "--context", "nope"], env);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /has no context "nope"/);
    const etcdToo = cli(["get", "bgppeers", "--context", "live"], { ETCD_ENDPOINTS: etcd.endpoint });
    assert.equal(etcdToo.status, 1);
    assert.equal(etcdToo.stderr, `--context live: a kubeconfig context, but the settings select etcd (${etcd.endpoint}, from environment)\n`);
  });

  it("--exit-code: 0 with no change, 1 with changes, 2 on a problem; a bad manifest stops it before any read", () => {
    const env = { ETCD_ENDPOINTS: etcd.endpoint };
    const same = cli(["diff", "--exit-code", "-f", path.join(dir, "peers", "same.yaml")], env);
    assert.deepEqual([same.status, same.stdout], [0, "1 BGP peer(s) read: 0 to create, 0 to change, 1 unchanged\n"]);
    assert.equal(cli(["diff", "--exit-code", "-R", "-f", path.join(dir, "peers")], env).status, 1);
    const bad = path.join(dir, "bad.yaml");
    fs.writeFileSync(bad, stringify(peer("bad", { peerIP: "10.0.0.300", asNumber: 1 })));
    // The datastore does not answer: the manifest's problem is found first.
    const r = cli(["diff", "--exit-code", "-f", bad], { ETCD_ENDPOINTS: "http://127.0.0.1:9" });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /bad\.yaml: document 1: peerIP: "10\.0\.0\.300" is not a valid peer address/);
    assert.match(r.stderr, /Nothing was compared\.\n$/);
    assert.equal(cli(["diff", "-f", bad], { ETCD_ENDPOINTS: "http://127.0.0.1:9" }).status, 1);
  });
});

describe("-f DIR and -R", () => {
  it("reads a directory's .yaml, .yml and .json files, its subdirectories only with -R, as calicoctl", () => {
    const top = cli(["validate", "-f", path.join(dir, "peers")]);
    assert.deepEqual([top.status, top.stdout], [0, "1 BGP peer(s) read, 1 valid\n"]);
    const all = cli(["validate", "-R", "-f", path.join(dir, "peers")]);
    assert.deepEqual([all.status, all.stdout], [0, "3 BGP peer(s) read, 3 valid\n"]);
    fs.mkdirSync(path.join(dir, "empty"), { recursive: true });
    const none = cli(["validate", "-f", path.join(dir, "empty")]);
    assert.equal(none.status, 1);
    assert.equal(none.stderr, `${path.join(dir, "empty")}: no manifest files (.yaml, .yml, .json) in the directory (-R reads its subdirectories too)\n`);
  });
});

describe("completion", () => {
  // COMP_WORDS as the shell splits the line, the last word being completed; in zsh, as
  // bashcompinit's _bash_complete sets them (its 1-based array, COMP_CWORD = CURRENT - 1).
  const complete = (shell: "bash" | "zsh", words: string[]) => {
    const script = path.join(dir, `completion.${shell}`);
    fs.writeFileSync(script, cli(["completion", shell]).stdout);
    const line = words.map((w) => `'${w}'`).join(" ");
    const run =
      shell === "bash"
        ? `source ${script}; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _calico_bgppeer; printf '%s\\n' "\${COMPREPLY[@]}"`
        : `autoload -U compinit && compinit -u; source ${script}; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _calico_bgppeer; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync(shell, shell === "bash" ? ["--norc", "-c", run] : ["-f", "-c", run], {
      encoding: "utf8",
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
    });
    assert.equal(r.status, 0, `${shell}: ${r.stderr}`);
    // zsh's compgen leaves the filtering by the word's prefix to compadd, which is zsh's own.
    const cur = words[words.length - 1];
    return r.stdout
      .split("\n")
      .filter((w) => w !== "" && (shell === "bash" || w.startsWith(cur)))
      .sort();
  };

  for (const shell of ["bash", "zsh"] as const) {
    it(`${shell}: commands, a command's options, -o's formats, get's resource words, file names`, () => {
      assert.deepEqual(
        complete(shell, ["calico-bgppeer", ""]),
        ["--help", "--version", "-V", "-h", "completion", "convert", "diff", "get", "help", "import", "validate", "version"].sort(),
      );
      assert.deepEqual(complete(shell, ["calico-bgppeer", "di"]), ["diff"]);
      assert.deepEqual(complete(shell, ["calico-bgppeer", "get", "-o", ""]), ["json", "ps", "wide", "yaml"]);
      assert.deepEqual(complete(shell, ["calico-bgppeer", "convert", "-o", ""]), ["json", "ts", "yaml"]);
      assert.deepEqual(complete(shell, ["calico-bgppeer", "get", "-o", "yaml", "bgpp"]), ["bgpp", "bgppeer", "bgppeers", "bgpps"]);
      assert.deepEqual(complete(shell, ["calico-bgppeer", "get", "bgppeers", "b"]), []);
      assert.ok(complete(shell, ["calico-bgppeer", "diff", "--"]).includes("--exit-code"));
      assert.ok(complete(shell, ["calico-bgppeer", "import", "--"]).includes("--per-peer"));
      assert.deepEqual(complete(shell, ["calico-bgppeer", "validate", "-f", "pe"]), ["peers"]);
    });
  }
});
