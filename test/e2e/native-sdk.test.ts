import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { peerKey } from "../../provider/model/keys";
import { packageSchema } from "../../provider/native/schema";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { pulumiBinDir, ROOT } from "../harness/pulumi";

/**
 * The native provider's schema and the SDKs generated from it: `pulumi package get-schema` prints
 * the schema the plugin serves, and sdkgen (tools/sdkgen, Pulumi's own code generators) writes the
 * Node.js, Python and Go SDKs, which compile with tsc and go build, and (Python, whose packages
 * cannot be installed here) pass Python's own compiler. A Go program on the Go SDK then runs under
 * the plain CLI (pulumi-language-go beside it) against a real etcd.
 */
let work: string;
let etcd: TestEtcd;
const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-sdk-"));
  etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
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

  it("a Go program on the Go SDK runs up, a no-op preview and destroy under the plain CLI", async () => {
    const dir = path.join(work, "go-program");
    fs.mkdirSync(dir);
    const sdkVersion = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version;
    fs.writeFileSync(
      path.join(dir, "go.mod"),
      `module example.com/fabric\n\ngo 1.25\n\nrequire (\n\tgithub.com/pulumi-calico-bgppeer/sdk/go v0.0.0\n\tgithub.com/pulumi/pulumi/sdk/v3 v${sdkVersion}\n)\n\nreplace github.com/pulumi-calico-bgppeer/sdk/go => ../sdk/go\n`,
    );
    fs.writeFileSync(
      path.join(dir, "main.go"),
      `package main

import (
\t"github.com/pulumi-calico-bgppeer/sdk/go/calico"
\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
\tpulumi.Run(func(ctx *pulumi.Context) error {
\t\ttor, err := calico.NewBgpPeer(ctx, "tor", &calico.BgpPeerArgs{
\t\t\tNode:     pulumi.String("rack1-host1"),
\t\t\tPeerIP:   pulumi.String("10.1.0.1"),
\t\t\tAsNumber: pulumi.Int(64512),
\t\t\tLabels:   pulumi.StringMap{"team": pulumi.String("net")},
\t\t})
\t\tif err != nil {
\t\t\treturn err
\t\t}
\t\tctx.Export("uid", tor.Uid)
\t\treturn nil
\t})
}
`,
    );
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      `name: fabric-go\nruntime: go\nplugins:\n  providers:\n    - name: calico\n      path: ${path.join(ROOT, "plugin")}\n`,
    );
    const env = {
      GOFLAGS: "-mod=mod",
      GONOSUMDB: "github.com/pulumi",
      PULUMI_BACKEND_URL: `file://${work}`,
      PULUMI_CONFIG_PASSPHRASE: "go",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      CI: "true",
      ETCD_ENDPOINTS: "",
    };
    run("go", ["mod", "tidy"], dir, env);
    const pulumi = path.join(pulumiBinDir(), "pulumi");
    run(pulumi, ["stack", "init", "dev"], dir, env);
    run(pulumi, ["config", "set", "calico:etcdEndpoints", etcd.endpoint], dir, env);
    assert.match(run(pulumi, ["up", "--yes"], dir, env), /\+ 2 created/);
    const stored = JSON.parse((await etcd.admin.get(peerKey("tor")).string())!);
    assert.deepEqual(stored.spec, { node: "rack1-host1", peerIP: "10.1.0.1", asNumber: 64512 });
    assert.equal(run(pulumi, ["stack", "output", "uid"], dir, env).trim(), stored.metadata.uid);
    run(pulumi, ["preview", "--expect-no-changes"], dir, env);
    run(pulumi, ["destroy", "--yes"], dir, env);
    assert.equal(await etcd.admin.get(peerKey("tor")).string(), null);
  });

  it("the Python SDK passes Python's compiler (its pulumi package cannot be installed here)", () => {
    const files = execFileSync("find", [path.join(work, "sdk/python"), "-name", "*.py"], { encoding: "utf8" })
      .trim()
      .split("\n");
    assert.ok(files.length > 5, files.join(" "));
    run("python3", ["-m", "py_compile", ...files], work);
  });
});
