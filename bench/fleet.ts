/**
 * One fleet step, run by bench/run.ts in a child process:
 *
 *   node dist/bench/fleet.js <op> <variant> <size> <projectDir> <workDir>
 *
 * op: up | preview | refresh | destroy | export. variant: ours (BgpPeer), native (NativeBgpPeer,
 * the native provider), floor (a dynamic resource with the same inputs whose provider does
 * nothing), racks (the rack fabric of rackFabric, one RackPeers per rack) or native-racks (the same
 * racks as the native provider's BgpPeerSets). BENCH_CHANGE=1 changes one field of the racks program: rack 1's first ToR's
 * AS number. empty declares nothing: the floor of an up. Everything Pulumi is loaded from <projectDir>, a user
 * project with the packed package installed, so the program sees one copy of the SDK and the
 * provider is serialized as it is for users. Prints one JSON line: the step's time and results.
 */
import { createRequire } from "node:module";
import * as path from "node:path";

export interface StepResult {
  ms: number;
  changes?: Record<string, number>;
  state?: StateStats;
}

export interface StateStats {
  resources: number;
  bytesPerResource: number;
  providerBytesPerResource: number;
  ownFieldBytesPerResource: number;
}

/** Racks of 4 hosts, each host a node-scoped peer with its rack's ToR, named the calico-upgrade way. */
export function fleetArgs(size: number): Array<[string, Record<string, unknown>]> {
  const out: Array<[string, Record<string, unknown>]> = [];
  for (let i = 0; i < size; i++) {
    const rack = Math.floor(i / 4) + 1;
    const host = (i % 4) + 1;
    out.push([
      `rack${rack}-host${host}`,
      { scope: "node", node: `rack${rack}-host${host}`, peerIP: `10.${rack >> 8}.${rack & 255}.1`, asNumber: 65000 + rack },
    ]);
  }
  return out;
}

/** Racks of 40 hosts and 2 ToRs: 80 node peers each, the last rack smaller when size is not a multiple of 80. */
export function rackFabric(size: number): Array<{ name: string; hosts: string[]; tors: { ip: string; asNumber: number }[] }> {
  const racks = [];
  for (let r = 1; (r - 1) * 80 < size; r++) {
    const hosts = Array.from({ length: Math.min(40, Math.ceil((size - (r - 1) * 80) / 2)) }, (_, h) => `rack${r}-host${h + 1}`);
    const tors = [1, 2].map((t) => ({ ip: `10.${r >> 8}.${r & 255}.${t}`, asNumber: 65000 + r }));
    racks.push({ name: `rack${r}`, hosts, tors });
  }
  return racks;
}

function stateStats(deployment: any): StateStats {
  const peers = deployment.resources.filter((r: any) => r.type.startsWith("pulumi-nodejs:dynamic") || r.type.startsWith("calico:index:"));
  let bytes = 0;
  let providerBytes = 0;
  let own = 0;
  for (const r of peers) {
    bytes += JSON.stringify(r).length;
    providerBytes += (r.inputs.__provider?.length ?? 0) + (r.outputs.__provider?.length ?? 0);
    const { __provider, ...fields } = r.inputs;
    own += JSON.stringify(fields).length;
  }
  const n = peers.length || 1;
  return { resources: peers.length, bytesPerResource: bytes / n, providerBytesPerResource: providerBytes / n, ownFieldBytesPerResource: own / n };
}

async function main() {
  const [op, variant, sizeText, proj, work] = process.argv.slice(2);
  const req = createRequire(path.join(proj, "package.json"));
  const auto = req("@pulumi/pulumi/automation");
  const pulumi = req("@pulumi/pulumi");
  const { BgpPeer, NativeBgpPeer, RackPeers } = req("pulumi-calico-bgppeer");
  const noop = req("bench-noop-provider");
  const size = Number(sizeText);
  const program = async () => {
    // The engine's floor: an up of a program that declares nothing, with the same CLI and SDK.
    if (variant === "empty") return {};
    if (variant === "native-racks") {
      // The same racks as sets of the native provider: one calico:index:BgpPeerSet per rack.
      for (const rack of rackFabric(size)) {
        const tors = rack.tors.map((t, i) => (process.env.BENCH_CHANGE && rack.name === "rack1" && i === 0 ? { ...t, asNumber: t.asNumber + 1 } : t));
        const peers = rack.hosts.flatMap((host) => tors.map((t) => ({ scope: "node", node: host, peerIP: t.ip, asNumber: t.asNumber })));
        new pulumi.CustomResource("calico:index:BgpPeerSet", rack.name, { peers });
      }
      return {};
    }
    if (variant === "racks") {
      for (const rack of rackFabric(size)) {
        const tors = rack.tors.map((t, i) => (process.env.BENCH_CHANGE && rack.name === "rack1" && i === 0 ? { ...t, asNumber: t.asNumber + 1 } : t));
        new RackPeers(rack.name, { hosts: rack.hosts, tors });
      }
      return {};
    }
    for (const [name, args] of fleetArgs(size)) {
      if (variant === "ours") new BgpPeer(name, args);
      else if (variant === "native") new NativeBgpPeer(name, args);
      else new pulumi.dynamic.Resource(noop, name, { ...args }, {});
    }
    return {};
  };
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { stackName: variant, projectName: "fleet", program },
    {
      workDir: work,
      pulumiCommand: await auto.PulumiCommand.get({ root: process.env.BENCH_PULUMI_ROOT }),
      projectSettings: {
        name: "fleet",
        runtime: "nodejs",
        main: proj,
        backend: { url: `file://${work}` },
        // The native provider's plugin, from the installed package.
        ...(variant.startsWith("native")
          ? { plugins: { providers: [{ name: "calico", path: path.join(proj, "node_modules/pulumi-calico-bgppeer/plugin") }] } }
          : {}),
      },
      envVars: { PULUMI_CONFIG_PASSPHRASE: "bench", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" },
    },
  );
  const t0 = process.hrtime.bigint();
  const result: StepResult = { ms: 0 };
  if (op === "up") result.changes = (await stack.up()).summary.resourceChanges;
  else if (op === "preview") result.changes = (await stack.preview()).changeSummary;
  else if (op === "refresh") result.changes = (await stack.refresh()).summary.resourceChanges;
  else if (op === "destroy") result.changes = (await stack.destroy()).summary.resourceChanges;
  else if (op === "export") result.state = stateStats((await stack.exportStack()).deployment);
  else throw new Error(`unknown op ${op}`);
  result.ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
