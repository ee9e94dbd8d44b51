import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { Range } from "etcd3";
import { PEER_PREFIX } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { packedTarball, type UserProject, userProject } from "../harness/project";

/**
 * Credentials as a user meets them, with etcd's authentication on: the stack's settings are
 * recorded by the engine at each up, and refresh and destroy use the recorded ones. A wrong
 * password must fail even an up with no changes (so it is never recorded); a password rotated
 * after the last up must be named as recorded at refresh, with the way to use the fixed one; and
 * a missing user, a wrong password and a missing permission are each told apart.
 */
let etcd: TestEtcd;
let work: string;
let p: UserProject;
const P1 = "first-Pa55word";
const P2 = "rotated-Pa55word";

const PROGRAM = `"use strict";
const { BgpPeer } = require("pulumi-calico-bgppeer");
for (const h of [1, 2, 3]) new BgpPeer("host" + h, { scope: "node", node: "rack1-host" + h, peerIP: "10.1.0.1", asNumber: 64512 });
`;

async function revision(): Promise<bigint> {
  return BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
}
async function count(): Promise<number> {
  return (await etcd.admin.getAll().prefix(PEER_PREFIX).keys()).length;
}
function failed(args: string[]): string {
  const r = p.pulumi(args);
  assert.notEqual(r.status, 0, `pulumi ${args.join(" ")} should fail\n${r.stdout}${r.stderr}`);
  const out = r.stdout + r.stderr;
  for (const secret of [P1, P2, "wrong-Pa55word"]) assert.ok(!out.includes(secret), "no password in the output");
  return out;
}

before(async () => {
  etcd = await startEtcd({ rootPassword: "root-Pa55word" });
  await etcd.admin.role("bgp-rw").create();
  await etcd.admin.role("bgp-rw").grant({ permission: "Readwrite", range: Range.prefix("/calico/") });
  await etcd.admin.user("bgp").create(P1);
  await etcd.admin.user("bgp").addRole("bgp-rw");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-credentials-"));
  p = userProject(work, "creds", {
    dependencies: { "pulumi-calico-bgppeer": `file:${packedTarball()}`, "@pulumi/pulumi": "3.248.0" },
    files: { "index.js": PROGRAM },
  });
  p.ok(["stack", "init", "dev"]);
  p.ok(["config", "set", "calico:etcdEndpoints", etcd.endpoint]);
  p.ok(["config", "set", "calico:etcdUsername", "bgp"]);
  p.ok(["config", "set", "--secret", "calico:etcdPassword", P1]);
});
after(async () => {
  await etcd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("credentials under the plain CLI, with etcd's authentication on", { concurrency: false }, () => {
  it("an up with working credentials creates the peers", async () => {
    assert.match(p.ok(["up", "--yes"]), /\+ 4 created/);
    assert.equal(await count(), 3);
  });

  it("a wrong password fails even an up with no changes, so the engine never records it; refresh keeps working", async () => {
    p.ok(["config", "set", "--secret", "calico:etcdPassword", "wrong-Pa55word"]);
    const rev = await revision();
    const out = failed(["up", "--yes"]);
    assert.match(
      out,
      /the connection check before this up failed: etcd http:\/\/127\.0\.0\.1:\d+ \(from stack config\) refused the credentials of user "bgp": authentication failed\./,
    );
    assert.match(out, /Nothing was written, and the stack keeps the connection settings of its last successful up\. Fix the settings and run the up again\./);
    assert.doesNotMatch(out, /^\s+at /m, "no JavaScript stack");
    assert.equal(await revision(), rev);
    // The recorded settings are still the working ones: refresh (which uses them) succeeds.
    p.ok(["refresh", "--yes", "--expect-no-changes"]);
    p.ok(["config", "set", "--secret", "calico:etcdPassword", P1]);
    p.ok(["up", "--yes", "--expect-no-changes"]);
  });

  it("a password rotated after the last up: refresh says it used the recorded settings and how to use the fixed ones", async () => {
    await etcd.admin.user("bgp").setPassword(P2);
    p.ok(["config", "set", "--secret", "calico:etcdPassword", P2]);
    const out = failed(["refresh", "--yes"]);
    assert.match(out, /refused the credentials of user "bgp": authentication failed/);
    assert.match(
      out,
      /If this is `pulumi refresh` or `pulumi destroy`: they use the stack config recorded at the stack's last up, not Pulumi\.<stack>\.yaml as it is now; fixed config takes effect with `--run-program`/,
    );
    p.ok(["refresh", "--yes", "--run-program", "--expect-no-changes"]);
    p.ok(["destroy", "--yes", "--run-program"]);
    assert.equal(await count(), 0);
  });

  it("no user configured, a wrong password and a missing permission are each named, with etcd's own words below the first line", async () => {
    p.ok(["config", "rm", "calico:etcdUsername"]);
    p.ok(["config", "rm", "calico:etcdPassword"]);
    // The up's preview reads the new peers first, so the provider names it there.
    let out = failed(["up", "--yes"]);
    const first = out.split("\n").find((l) => l.includes("has authentication on"));
    assert.match(
      first ?? out,
      /preview read failed: etcd http:\/\/127\.0\.0\.1:\d+ \(from stack config\) has authentication on, and no etcd user is configured\. Set calico:etcdUsername, and calico:etcdPassword with --secret/,
    );
    assert.doesNotMatch(first!, /INVALID_ARGUMENT|cannot reach|If this is `pulumi refresh`/);
    assert.match(out, /\(etcd client: .*user name is empty\)/);
    assert.doesNotMatch(out, /^\s+at /m, "no JavaScript stack from the provider host");

    // The CLI, from the environment, tells the same apart.
    const cli = (env: NodeJS.ProcessEnv) => p.run("npx", ["--no-install", "calico-bgppeer", "get", "bgppeers"], { ETCD_ENDPOINTS: etcd.endpoint, ...env });
    let r = cli({});
    assert.equal(r.status, 1);
    assert.match(
      r.stderr.split("\n")[0],
      /^read failed: etcd .* \(from environment\) has authentication on, and no etcd user is configured\. Set ETCD_USERNAME and ETCD_PASSWORD/,
    );
    r = cli({ ETCD_USERNAME: "bgp", ETCD_PASSWORD: "wrong-Pa55word" });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr.split("\n")[0],
      /^read failed: etcd .* refused the credentials of user "bgp": authentication failed\. Check the username and password \(ETCD_USERNAME and ETCD_PASSWORD\)\.$/,
    );
    await etcd.admin.user("nobody").create("nobody-Pa55");
    r = cli({ ETCD_USERNAME: "nobody", ETCD_PASSWORD: "nobody-Pa55" });
    assert.equal(r.status, 1);
    assert.match(r.stderr.split("\n")[0], /^read failed: etcd .* denied user "nobody" permission: its role needs read and write on the prefix/);
    for (const o of [r.stderr]) assert.ok(!o.includes("nobody-Pa55"));
    out = r.stderr;
    assert.doesNotMatch(out.split("\n")[0], /PERMISSION_DENIED|etcdserver/);

    // A script tells them apart by the classes the package root exports.
    const script = `const m = require("pulumi-calico-bgppeer");
m.provider.read("host1").then(() => process.exit(3), (e) => {
  console.log([e instanceof m.CredentialsMissingError, e instanceof m.AuthenticationFailedError, e instanceof m.PermissionDeniedError, e instanceof m.DatastoreError, e.summary.split(" ").slice(2, 6).join(" ")].join(","));
  process.exit(0);
});`;
    const classes = (env: NodeJS.ProcessEnv) => {
      const x = p.run(process.execPath, ["-e", script], { ETCD_ENDPOINTS: etcd.endpoint, ...env });
      assert.equal(x.status, 0, x.stderr);
      return x.stdout.trim();
    };
    assert.equal(classes({}), `true,true,false,true,etcd ${etcd.endpoint} (from environment)`);
    assert.match(classes({ ETCD_USERNAME: "bgp", ETCD_PASSWORD: "wrong-Pa55word" }), /^false,true,false,true,/);
    assert.match(classes({ ETCD_USERNAME: "nobody", ETCD_PASSWORD: "nobody-Pa55" }), /^false,false,true,true,/);
  });
});
