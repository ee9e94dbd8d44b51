import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { packageSchema } from "../../provider/native/schema";
import { pulumiBinDir, ROOT } from "../harness/pulumi";

/**
 * The native provider's schema and the SDKs generated from it: `pulumi package get-schema` prints
 * the schema the plugin serves, and sdkgen (tools/sdkgen, Pulumi's own code generators) writes the
 * Node.js, Python and Go SDKs, which compile with tsc and go build, and (Python, whose packages
 * cannot be installed here) pass Python's own compiler.
 */
let work: string;
const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-sdk-"));
});
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the native provider's schema and SDKs", { concurrency: false }, () => {
  it("pulumi package get-schema prints the schema the plugin serves: every field, the secret settings marked", () => {
    const bin = pulumiBinDir();
    const out = run(path.join(bin, "pulumi"), ["package", "get-schema", path.join(ROOT, "plugin/pulumi-resource-calico")], work, {
      PULUMI_SKIP_UPDATE_CHECK: "true",
    });
    assert.deepEqual(JSON.parse(out), packageSchema(version));
    const schema: any = JSON.parse(out);
    const peer = schema.resources["calico:index:BgpPeer"];
    assert.equal(Object.keys(peer.inputProperties).filter((k) => !["name", "scope", "hostname", "labels", "annotations", "adopt"].includes(k)).length, 18);
    assert.match(peer.inputProperties.numAllowedLocalASNumbers.description, /allow local as N/);
    for (const k of ["etcdPassword", "etcdKey", "k8sAPIToken", "kubeconfigInline"]) assert.equal(schema.config.variables[k].secret, true, k);
    assert.equal(schema.config.variables.etcdEndpoints.secret, undefined);
    fs.writeFileSync(path.join(work, "schema.json"), out);
  });

  it("sdkgen writes the Node.js, Python and Go SDKs", () => {
    const sdkgen = process.env.CALICO_SDKGEN;
    assert.ok(sdkgen && fs.existsSync(sdkgen), "CALICO_SDKGEN must name sdkgen (scripts/test.js builds it)");
    const out = run(sdkgen, [path.join(work, "schema.json"), path.join(work, "sdk"), "nodejs", "python", "go"], work);
    assert.match(out, /nodejs: \d+ files\npython: \d+ files\ngo: \d+ files/);
    for (const f of ["nodejs/bgpPeer.ts", "nodejs/bgpPeerSet.ts", "nodejs/provider.ts", "python/pulumi_calico_bgppeer/bgp_peer.py", "go/calico/bgpPeer.go"]) {
      assert.ok(fs.existsSync(path.join(work, "sdk", f)), f);
    }
  });

  it("the Node.js SDK compiles with tsc against @pulumi/pulumi", () => {
    const dir = path.join(work, "sdk/nodejs");
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", dir, "--types", "node"], dir);
    assert.ok(fs.existsSync(path.join(dir, "bin/bgpPeer.js")));
    assert.ok(fs.readFileSync(path.join(dir, "bin/bgpPeer.d.ts"), "utf8").includes("asNumber"));
  });

  it("the Go SDK compiles against github.com/pulumi/pulumi/sdk/v3", () => {
    const dir = path.join(work, "sdk/go");
    const sdkVersion = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version;
    fs.writeFileSync(
      path.join(dir, "go.mod"),
      `module github.com/pulumi-calico-bgppeer/sdk/go\n\ngo 1.25\n\nrequire github.com/pulumi/pulumi/sdk/v3 v${sdkVersion}\n`,
    );
    const env = { GOFLAGS: "-mod=mod", GONOSUMDB: "github.com/pulumi" };
    run("go", ["mod", "tidy"], dir, env);
    run("go", ["build", "./..."], dir, env);
    run("go", ["vet", "./..."], dir, env);
  });

  it("the Python SDK passes Python's compiler (its pulumi package cannot be installed here)", () => {
    const files = execFileSync("find", [path.join(work, "sdk/python"), "-name", "*.py"], { encoding: "utf8" })
      .trim()
      .split("\n");
    assert.ok(files.length > 5, files.join(" "));
    run("python3", ["-m", "py_compile", ...files], work);
  });
});
