#!/usr/bin/env node
// `npm run demo`: runs this repository's Pulumi project (Pulumi.yaml: the example fabric in
// examples/fabric) with the plain `pulumi` CLI, `pulumi up --yes` by default, then prints the peers
// as Calico sees them, read back from etcd with `calico-bgppeer get bgppeers -o wide` (calicoctl's layout).
// `npm run demo -- <pulumi args>` runs another command the same way (`preview --diff`, `refresh`,
// `destroy --yes`, `stack export`). It starts a local etcd (data in .demo/etcd) for the length of
// the command. State, stack config and etcd data live in .demo/.
// `npm run demo -- --datastore kubernetes [<pulumi args>]` runs the same program against Calico's
// Kubernetes API datastore instead: a local kube-apiserver with Calico's CRDs (data in .demo/kube);
// its stack is demo-kubernetes.
//
// The demo is local unless asked: it clears every variable that would choose a datastore (calicoctl's
// ETCD_*, DATASTORE_TYPE, CALICO_*, KUBECONFIG, K8S_*, in-cluster KUBERNETES_SERVICE_*), so a shell
// set up for calicoctl against a real cluster cannot send the demo's peers there. `--use-env` uses
// the datastore those variables name instead, and prints it before anything runs.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const DEMO = path.join(ROOT, ".demo");
const STACK = "demo";

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** The peers in etcd, as the package's own command prints them: calicoctl's `get bgppeers -o wide`. */
function printPeers(env, kdd) {
  console.log(`\n$ calico-bgppeer get bgppeers -o wide   # the peers in ${kdd ? "the Kubernetes datastore" : "etcd"}, as calicoctl lists them`);
  // A failure to list does not fail the demo: the pulumi command's status is what it reports.
  run(process.execPath, [path.join(ROOT, "dist/provider/cli/main.js"), "get", "bgppeers", "-o", "wide"], { env });
}

async function main() {
  const args = process.argv.slice(2);
  const useEnv = args.includes("--use-env");
  if (useEnv) args.splice(args.indexOf("--use-env"), 1);
  let datastore = "etcdv3";
  const at = args.findIndex((a) => a === "--datastore" || a.startsWith("--datastore="));
  if (at >= 0) {
    const [flag] = args.splice(at, 1);
    datastore = flag.includes("=") ? flag.slice(flag.indexOf("=") + 1) : args.splice(at, 1)[0];
    if (datastore !== "etcdv3" && datastore !== "kubernetes") throw new Error(`--datastore is "etcdv3" or "kubernetes", not ${JSON.stringify(datastore)}`);
  }
  const kdd = datastore === "kubernetes";
  const stackName = kdd ? `${STACK}-kubernetes` : STACK;
  const pulumiArgs = args.length ? args : ["up", "--yes"];
  fs.mkdirSync(path.join(DEMO, "state"), { recursive: true });
  if (!fs.existsSync(path.join(ROOT, "node_modules/@pulumi/pulumi"))) {
    if (run("npm", ["ci", "--no-audit", "--no-fund"]) !== 0) throw new Error("npm ci failed");
  }
  // The program is TypeScript, compiled by Pulumi as it runs; the provider it serializes loads the
  // built library (dist/provider) by the package's own name.
  if (run("npm", ["run", "build:lib", "--silent"]) !== 0) throw new Error("build failed");
  // Loaded only now: the tools script reads the installed @pulumi/pulumi's version.
  const tools = require("./tools");
  const pulumiBin = tools.ensurePulumi();

  // The built library (above) says which variables choose a datastore.
  const { resolveDatastore, withoutDatastoreEnv } = require("../dist/provider/datastore/config");
  const shell = useEnv ? { env: process.env, cleared: [] } : withoutDatastoreEnv(process.env);
  const env = {
    ...shell.env,
    PATH: `${pulumiBin}${path.delimiter}${process.env.PATH}`,
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "demo",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  let server;
  if (useEnv) {
    // Where the environment points, said before anything is written there.
    const { backendFor, closeBackends } = require("../dist/provider/datastore/select");
    const d = resolveDatastore({ env });
    if (kdd !== (d.type === "kubernetes")) {
      throw new Error(
        `--datastore ${datastore} with --use-env, but the environment names the ${d.type} datastore (DATASTORE_TYPE, ETCD_ENDPOINTS, CALICOCTL_CONFIG)`,
      );
    }
    console.log(`--use-env: the demo writes to ${backendFor(d).where}`);
    closeBackends();
  } else {
    if (shell.cleared.length) console.log(`local demo: ignoring ${shell.cleared.join(", ")} (npm run demo -- --use-env uses them)`);
    const config = path.join(DEMO, `Pulumi.${stackName}.yaml`);
    if (fs.existsSync(config) && /^\s+calico:/m.test(fs.readFileSync(config, "utf8"))) {
      throw new Error(`${path.relative(ROOT, config)} sets calico:* keys, which would win over the local datastore: remove them (pulumi config rm)`);
    }
  }
  if (kdd && !useEnv) {
    const { startKube } = require("./kube");
    fs.mkdirSync(path.join(DEMO, "kube"), { recursive: true });
    server = await startKube({ dir: path.join(DEMO, "kube") });
    Object.assign(env, { DATASTORE_TYPE: "kubernetes", KUBECONFIG: server.kubeconfig });
    console.log(`started a local Kubernetes API server ${server.version} at ${server.server}, with Calico's CRDs (data in .demo/kube)`);
  } else if (!useEnv) {
    const { spawnEtcd } = require("./etcd");
    server = await spawnEtcd({ name: "demo", dataDir: path.join(DEMO, "etcd") });
    env.ETCD_ENDPOINTS = server.endpoint;
    console.log(`started a local etcd at ${server.endpoint} (data in .demo/etcd)`);
  }
  let status;
  try {
    if (run("pulumi", ["stack", "select", "--create", stackName, "--non-interactive"], { env }) !== 0)
      throw new Error(`cannot select or create the stack "${stackName}"`);
    console.log(`\n$ pulumi ${pulumiArgs.join(" ")}`);
    status = run("pulumi", pulumiArgs, { env });
    if (status === 0 && !["stack", "config", "about", "whoami", "version"].includes(pulumiArgs[0])) printPeers(env, kdd);
  } finally {
    await server?.stop();
  }
  process.exit(status);
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
