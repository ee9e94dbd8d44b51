#!/usr/bin/env node
// `npm run demo`: runs the example fabric (examples/fabric) with the real Pulumi CLI against etcd,
// then prints the peers as Calico sees them, read back from etcd in calicoctl's
// `get bgppeers -o wide` layout. With no etcd configured it starts a local one (data in .demo/etcd)
// and keeps Pulumi state in a local file backend (.demo/state, passphrase "demo").
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const DEMO = path.join(ROOT, ".demo");

async function startLocalEtcd() {
  const { spawnEtcd } = require("./etcd");
  const etcd = await spawnEtcd({ name: "demo", dataDir: path.join(DEMO, "etcd") });
  console.log(`started a local etcd at ${etcd.endpoint} (data in .demo/etcd)`);
  return etcd;
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("   ").trimEnd()).join("\n");
}

async function main() {
  for (const d of ["state", "work"]) fs.mkdirSync(path.join(DEMO, d), { recursive: true });
  if (!fs.existsSync(path.join(ROOT, "node_modules/@pulumi/pulumi"))) {
    spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: ROOT, stdio: "inherit" });
  }
  if (spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" }).status !== 0) throw new Error("build failed");
  // Loaded only now: the tools script reads the installed @pulumi/pulumi's version.
  const tools = require("./tools");
  const pulumiBin = tools.ensurePulumi();
  process.env.PATH = `${pulumiBin}${path.delimiter}${process.env.PATH}`;

  // A real cluster: set ETCD_ENDPOINTS (and ETCD_* credentials) or CALICOCTL_CONFIG before `npm run demo`.
  const configured = process.env.ETCD_ENDPOINTS || process.env.CALICOCTL_CONFIG;
  const local = configured ? undefined : await startLocalEtcd();
  try {
    const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "demo", projectName: "calico-bgppeer-demo", program: require(path.join(ROOT, "dist/examples/fabric/index.js")) },
      {
        // The workspace writes its own Pulumi.yaml there; the program and provider run from ROOT (main).
        workDir: path.join(DEMO, "work"),
        pulumiCommand: await PulumiCommand.get({ root: path.dirname(pulumiBin) }),
        projectSettings: { name: "calico-bgppeer-demo", runtime: "nodejs", main: ROOT, backend: { url: `file://${path.join(DEMO, "state")}` } },
        envVars: { PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "demo", PULUMI_SKIP_UPDATE_CHECK: "true" },
      },
    );
    if (local) await stack.setConfig("calico:etcdEndpoints", { value: local.endpoint });
    const up = await stack.up({ onOutput: (s) => process.stdout.write(s) });
    const changes = Object.entries(up.summary.resourceChanges ?? {}).filter(([k]) => k !== "same");
    console.log(changes.length ? "" : "\nno changes: every peer is as declared");

    const { resolveConnection } = require(path.join(ROOT, "dist/provider/datastore/config.js"));
    const { getClient, closeClient } = require(path.join(ROOT, "dist/provider/datastore/client.js"));
    const { decodeValue, PEER_PREFIX } = require(path.join(ROOT, "dist/provider/model/codec.js"));
    const settings = resolveConnection({ stack: (k) => (k === "calico:etcdEndpoints" && local ? local.endpoint : undefined) });
    const kvs = await getClient(settings).getAll().prefix(PEER_PREFIX).strings();
    closeClient();
    const rows = [["NAME", "PEERIP", "NODE", "ASN"]];
    for (const [key, value] of Object.entries(kvs).sort(([a], [b]) => a.localeCompare(b))) {
      const p = decodeValue(key, value);
      const node = p.spec.node ?? p.spec.nodeSelector ?? "(global)";
      rows.push([p.name, p.spec.peerIP ?? "", node, String(p.spec.asNumber ?? 0)]);
    }
    console.log(`\nBGP peers in etcd (${rows.length - 1}), as \`calicoctl get bgppeers -o wide\` lists them:\n${table(rows)}`);
  } finally {
    await local?.stop();
  }
}

main().catch((e) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
