/**
 * `npm run bench`: how close BgpPeer is to the physical limits, measured side by side in one run
 * against a real etcd on loopback and the real Pulumi CLI. Prints Markdown tables; BENCHMARKS.md
 * records a run. Options: --sizes 100,1000,3000 (fleet sizes), --iterations 300 (latency samples),
 * --only rpc,latency,fleet,racks,cli,check,kdd,convert,native,import (sections), --kdd-sizes 100,1000 (section 10's fleet sizes), --engine-profiles DIR (Go CPU profiles of the engine for each
 * fleet step; read them with `go tool pprof -top <pulumi binary> <file>`), --line ID (section 13 on
 * a line of scripts/matrix.js: its Node.js, CLI and SDK, as a user's project made on it has them).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Etcd3 } from "etcd3";
import { stringify } from "yaml";
import { closeClient } from "../provider/datastore/etcd/connection";
import { countRequests, kubeRequests } from "../provider/datastore/kube/backend";
import { closeBackends } from "../provider/datastore/select";
import { impl, type PeerOutputs } from "../provider/dynamic/peer-provider";
import { peerKey } from "../provider/model/codec";
import { checkInputs } from "../provider/model/spec";
import { type Calicoctl, calicoctlFor, calicoctlForKube } from "../test/harness/calicoctl";
import { startEtcd, type TestEtcd } from "../test/harness/etcd";
import { irregularFabric } from "../test/harness/fabric";
import { CRD, startKube, type TestKube } from "../test/harness/kube";
import { LINES, type Line, TYPES_NODE } from "../test/harness/lines";
import { processes } from "../test/harness/procs";
import { PULUMI_TEMPLATE_TSCONFIG } from "../test/harness/project";
import { rackFabric, type StepResult } from "./fleet";
import { makeProject } from "./project";
import { markdownTable } from "./table";

const ROOT = path.resolve(__dirname, "../..");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const tools = require(path.join(ROOT, "scripts/tools.js"));

type Json = Record<string, any>;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function totalRpcs(etcd: TestEtcd): Promise<Record<string, number>> {
  return etcd.rpcCounts();
}
function delta(a: Record<string, number>, b: Record<string, number>): { total: number; by: string } {
  const by: string[] = [];
  let total = 0;
  for (const k of Object.keys(b).sort()) {
    const d = b[k] - (a[k] ?? 0);
    if (d > 0) {
      by.push(`${k} ${d}`);
      total += d;
    }
  }
  return { total, by: by.join(", ") };
}

async function checked(raw: Json): Promise<Json> {
  const r = await impl.check({}, raw);
  if (!r.inputs) throw new Error(`bench input rejected: ${JSON.stringify(r.failures)}`);
  return r.inputs;
}

/**
 * calicoctl's commands on one peer, as section 1 and section 10 count them: `measure` runs each
 * and records what it cost. The datastore is initialized first (calicoctl's first write does it),
 * outside the counts. The etcd section adds an apply that creates; the counts are otherwise the
 * same list in both.
 */
async function calicoctlOps(ctl: Calicoctl, measure: (label: string, run: () => unknown) => Promise<unknown>, withApplyCreate: boolean): Promise<void> {
  const doc = (asNumber: number) =>
    stringify({
      apiVersion: "projectcalico.org/v3",
      kind: "BGPPeer",
      metadata: { name: "rpc-peer" },
      spec: { node: "rack1-host1", peerIP: "10.0.0.1", asNumber },
    });
  ctl.ok(["apply", "-f", "-"], doc(1));
  ctl.ok(["delete", "bgppeer", "rpc-peer"]);
  await measure("calicoctl create", () => ctl.ok(["create", "-f", "-"], doc(64512)));
  await measure("calicoctl get", () => ctl.ok(["get", "bgppeer", "rpc-peer", "-o", "yaml"]));
  await measure("calicoctl apply (update)", () => ctl.ok(["apply", "-f", "-"], doc(64513)));
  await measure("calicoctl replace", () => ctl.ok(["replace", "-f", "-"], doc(64514)));
  await measure("calicoctl delete", () => ctl.ok(["delete", "bgppeer", "rpc-peer"]));
  if (withApplyCreate) {
    await measure("calicoctl apply (create)", () => ctl.ok(["apply", "-f", "-"], doc(64515)));
    ctl.ok(["delete", "bgppeer", "rpc-peer"]);
  }
  ctl.cleanup();
}

/** 1. RPCs per operation, counted by etcd itself (grpc_server_handled_total). */
async function rpcsPerOp(etcd: TestEtcd): Promise<string> {
  const rows: string[][] = [["operation", "RPCs at etcd", "by method"]];
  const measure = async (label: string, fn: () => Promise<unknown>) => {
    const before = await totalRpcs(etcd);
    await fn();
    const d = delta(before, await totalRpcs(etcd));
    rows.push([label, String(d.total), d.by || "none"]);
  };
  // Warm the provider's client first: connecting is not an RPC, but a first call must not count twice.
  const warm = await impl.create(await checked({ name: "warm", peerIP: "10.255.0.1", asNumber: 1 }));
  await impl.delete("warm", warm.outs as PeerOutputs);

  const inputs = await checked({ name: "rpc-peer", node: "rack1-host1", peerIP: "10.0.0.1", asNumber: 64512 });
  let outs!: PeerOutputs;
  // check reads the key of a peer new to the stack (no old inputs), so that a preview fails where create would.
  await measure("check, a new peer (BgpPeer)", () => impl.check({}, { name: "rpc-peer", node: "rack1-host1", peerIP: "10.0.0.1", asNumber: 64512 }));
  await measure("check, a peer in state (BgpPeer)", () =>
    impl.check({ name: "rpc-peer" }, { name: "rpc-peer", node: "rack1-host1", peerIP: "10.0.0.1", asNumber: 64512 }),
  );
  await measure("create (BgpPeer)", async () => (outs = (await impl.create(inputs)).outs as PeerOutputs));
  await measure("diff (BgpPeer)", () => impl.diff("rpc-peer", outs, { ...inputs, asNumber: 64513 }));
  await measure("read (BgpPeer)", () => impl.read("rpc-peer", outs));
  await measure("update (BgpPeer)", async () => (outs = (await impl.update("rpc-peer", outs, { ...inputs, asNumber: 64513 })).outs as PeerOutputs));
  await measure("adopt, spec equal (BgpPeer)", () => impl.create({ ...inputs, asNumber: 64513, adopt: true }));
  await measure("delete (BgpPeer)", () => impl.delete("rpc-peer", outs));
  // A field newer than Calico v3.0 makes the first write of a provider process read the cluster's
  // release from ClusterInformation; later writes in the process reuse it.
  const newer = await checked({ name: "rpc-newer", peerIP: "10.0.0.2", asNumber: 64512, maxRestartTime: "2m" });
  let newerOuts!: PeerOutputs;
  await measure("create, a v3.20 field, first write of the process", async () => (newerOuts = (await impl.create(newer)).outs as PeerOutputs));
  await measure("update, a v3.20 field, later write", () => impl.update("rpc-newer", newerOuts, { ...newer, maxRestartTime: "3m" }));

  await calicoctlOps(calicoctlFor(etcd.endpoint), (label, run) => measure(label, async () => run()), true);
  return markdownTable(rows);
}

const CRUD = ["create", "read", "update", "delete"] as const;
type Crud = (typeof CRUD)[number];

/**
 * Each operation's time, BgpPeer's against a baseline doing the same in one raw request, sampled
 * interleaved (the order alternates, so neither gets a systematic advantage): a table of medians
 * and p95s. `pairs(i)` gives sample i's two functions per operation, run in CRUD order.
 */
async function sideBySide(
  iterations: number,
  base: string,
  pairs: (i: number) => Promise<Record<Crud, [() => Promise<unknown>, () => Promise<unknown>]>>,
): Promise<string> {
  const samples: Record<string, { ours: number[]; raw: number[] }> = Object.fromEntries(CRUD.map((o) => [o, { ours: [], raw: [] }]));
  const time = async (fn: () => Promise<unknown>) => {
    const t0 = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (let i = 0; i < iterations; i++) {
    const pair = await pairs(i);
    for (const op of CRUD) {
      const [ours, raw] = pair[op];
      if (i % 2 === 0) {
        samples[op].ours.push(await time(ours));
        samples[op].raw.push(await time(raw));
      } else {
        samples[op].raw.push(await time(raw));
        samples[op].ours.push(await time(ours));
      }
    }
  }
  const rows = [["operation", "BgpPeer median ms", `${base} median ms`, "ratio", "BgpPeer p95 ms", `${base} p95 ms`, "ratio"]];
  for (const op of CRUD) {
    const x = samples[op];
    const [om, rm, o95, r95] = [quantile(x.ours, 0.5), quantile(x.raw, 0.5), quantile(x.ours, 0.95), quantile(x.raw, 0.95)];
    rows.push([op, fmt(om, 3), fmt(rm, 3), `${fmt(om / rm)}x`, fmt(o95, 3), fmt(r95, 3), `${fmt(o95 / r95)}x`]);
  }
  return markdownTable(rows);
}

/** The rack fabric as calicoctl users would write it: one multi-document file of BGPPeers. */
function fabricFile(fabric: ReturnType<typeof rackFabric>, file: string): void {
  const docs = fabric.flatMap((rack) =>
    rack.hosts.flatMap((host) =>
      rack.tors.map((t) => ({
        apiVersion: "projectcalico.org/v3",
        kind: "BGPPeer",
        metadata: { name: `${host}.${t.ip.replace(/\./g, "-")}` },
        spec: { node: host, peerIP: t.ip, asNumber: t.asNumber },
      })),
    ),
  );
  fs.writeFileSync(file, docs.map((d) => `---\n${stringify(d)}`).join(""));
}

/** 2. Per-operation latency against a raw etcd3 transaction of the same kind, interleaved. */
async function latency(etcd: TestEtcd, iterations: number): Promise<string> {
  const raw = new Etcd3({ hosts: etcd.endpoint });
  const value = (name: string, asn: number) =>
    JSON.stringify({
      kind: "BGPPeer",
      apiVersion: "projectcalico.org/v3",
      metadata: { name, uid: "u", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { node: "n", peerIP: "10.0.0.1", asNumber: asn },
    });
  // Warm both clients.
  await raw.get("/warm").exec();
  await impl.read("nothing", undefined);
  const table = await sideBySide(iterations, "raw etcd3", async (i) => {
    const inputs = await checked({ name: `lat-${i}`, node: "n", peerIP: "10.0.0.1", asNumber: 64512 });
    const key = peerKey(`raw-${i}`);
    let outs!: PeerOutputs;
    let rev = "";
    return {
      create: [
        async () => (outs = (await impl.create(inputs)).outs as PeerOutputs),
        async () =>
          (rev = (
            await raw
              .if(key, "Version", "==", 0)
              .then(raw.put(key).value(value(`raw-${i}`, 64512)))
              .else(raw.get(key))
              .commit()
          ).header.revision),
      ],
      read: [() => impl.read(outs.name, outs), () => raw.get(key).exec()],
      update: [
        async () => (outs = (await impl.update(outs.name, outs, { ...inputs, asNumber: 64513 })).outs as PeerOutputs),
        async () =>
          (rev = (
            await raw
              .if(key, "Mod", "==", rev)
              .then(raw.put(key).value(value(`raw-${i}`, 64513)))
              .else(raw.get(key))
              .commit()
          ).header.revision),
      ],
      delete: [() => impl.delete(outs.name, outs), () => raw.if(key, "Mod", "==", rev).then(raw.delete().key(key)).else(raw.get(key)).commit()],
    };
  });
  raw.close();
  return `${table}\n\n${iterations} samples of each, interleaved (alternating order), on one etcd.`;
}

type Role = "engine" | "program" | "provider";
interface ProcessStats {
  /** Peak RSS (VmHWM) of the dynamic provider process, MB. */
  providerPeakMb: number;
  /** CPU seconds (user + system) by process role, as last seen in /proc before each process ended. */
  cpu: Record<Role, number>;
}

/** What a step's processes cost, polled from /proc every 50 ms while `fn` runs. */
async function withProcessStats<T>(fn: () => Promise<T>): Promise<{ result: T; stats: ProcessStats }> {
  const seen = new Map<number, { role: Role; cpuSeconds: number; peakRssKb: number }>();
  const roleOf = (argv: string[]): Role | undefined =>
    argv.some((a) => a.includes("dynamic-provider"))
      ? "provider"
      : argv.some((a) => a.endsWith("bench/fleet.js"))
        ? "program"
        : path.basename(argv[0] ?? "") === "pulumi"
          ? "engine"
          : undefined;
  const poll = () => {
    for (const p of processes()) {
      const role = seen.get(p.pid)?.role ?? roleOf(p.argv);
      if (role) seen.set(p.pid, { role, cpuSeconds: p.cpuSeconds, peakRssKb: Math.max(seen.get(p.pid)?.peakRssKb ?? 0, p.peakRssKb) });
    }
  };
  const timer = setInterval(poll, 50);
  try {
    const result = await fn();
    const cpu: Record<Role, number> = { engine: 0, program: 0, provider: 0 };
    let peak = 0;
    for (const p of seen.values()) {
      cpu[p.role] += p.cpuSeconds;
      if (p.role === "provider") peak = Math.max(peak, p.peakRssKb / 1024);
    }
    return { result, stats: { providerPeakMb: peak, cpu } };
  } finally {
    clearInterval(timer);
  }
}

function step(op: string, variant: string, size: number, proj: string, work: string, env: NodeJS.ProcessEnv): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "fleet.js"), op, variant, String(size), proj, work], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`fleet ${op} ${variant} ${size} failed (${code}):\n${err}${out}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!));
    });
  });
}

/**
 * A Pulumi root whose bin/pulumi runs the real CLI with `--profiling`, for up, preview and destroy:
 * Go CPU and memory profiles of the engine, one per step, named <variant>-<size>-<step>.<pid>.cpu.
 * The Automation API has no way to pass the CLI's global flags, hence the wrapper.
 */
function profilingRoot(pulumiRoot: string, dir: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-pulumi-prof-"));
  fs.mkdirSync(path.join(root, "bin"));
  for (const f of fs.readdirSync(path.join(pulumiRoot, "bin"))) {
    if (f !== "pulumi") fs.symlinkSync(path.join(pulumiRoot, "bin", f), path.join(root, "bin", f));
  }
  const real = path.join(pulumiRoot, "bin", "pulumi");
  fs.writeFileSync(
    path.join(root, "bin", "pulumi"),
    `#!/bin/sh\nfor a in "$@"; do case "$a" in up|preview|destroy) exec "${real}" --profiling "${path.resolve(dir)}/$BENCH_PROFILE_TAG-$a" "$@";; esac; done\nexec "${real}" "$@"\n`,
    { mode: 0o755 },
  );
  fs.mkdirSync(dir, { recursive: true });
  return root;
}

/** A calicoctl step beside RackPeers' same step: size, step, calicoctl s, requests, per peer, RackPeers s, ratio. */
function calicoctlRow(size: number, label: string, ctlMs: number, requests: number, oursMs: number): string[] {
  return [String(size), label, fmt(ctlMs / 1000), String(requests), fmt(requests / size, 2), fmt(oursMs / 1000), `${fmt(oursMs / ctlMs)}x`];
}

/** Section 3's times by size, step and variant, for section 8 to compare with. */
const fleetTimes = new Map<number, Record<string, { ours: number; floor: number }>>();

/** 3-6. Fleet up, no-op preview and destroy against the floor; state size; provider memory; scaling. */
async function fleet(etcd: TestEtcd, sizes: number[], pulumiRoot: string, engineProfiles?: string): Promise<string> {
  const { proj, cleanup } = makeProject();
  const root = engineProfiles ? profilingRoot(pulumiRoot, engineProfiles) : pulumiRoot;
  const env = { ...process.env, ETCD_ENDPOINTS: etcd.endpoint, BENCH_PULUMI_ROOT: root, PULUMI_CONFIG_PASSPHRASE: "bench" };
  const rev = async () => (await etcd.admin.get("/nothing").exec()).header.revision;
  const timeRows = [["peers", "step", "BgpPeer s", "floor s", "ratio", "BgpPeer ms/peer", "floor ms/peer", "etcd revision delta (BgpPeer)"]];
  const other: string[][] = [["peers", "measure", "BgpPeer", "floor"]];
  const cpuRows = [["peers", "step", "engine CPU s (BgpPeer / floor)", "program CPU s", "provider CPU s", "engine CPU ratio"]];
  try {
    for (const size of sizes) {
      const works = { ours: fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-fleet-")), floor: fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-fleet-")) };
      const results: Record<string, Record<string, StepResult>> = { ours: {}, floor: {} };
      const stats: Record<string, Record<string, ProcessStats>> = { ours: {}, floor: {} };
      const revDelta: Record<string, string> = {};
      for (const op of ["up", "export", "preview", "destroy", "up-nockpt", "destroy-nockpt"]) {
        for (const variant of size % 2 === 0 ? ["ours", "floor"] : ["floor", "ours"]) {
          const before = await rev();
          // The -nockpt pair runs a second stack with PULUMI_SKIP_CHECKPOINTS=true: the engine then
          // writes state once at the end instead of after every step, which separates the cost of
          // its checkpoints from everything else.
          const nockpt = op.endsWith("-nockpt");
          const w = nockpt ? `${works[variant as "ours" | "floor"]}-nockpt` : works[variant as "ours" | "floor"];
          fs.mkdirSync(w, { recursive: true });
          const stepEnv = { ...env, BENCH_PROFILE_TAG: `${variant}-${size}${nockpt ? "-nockpt" : ""}`, ...(nockpt ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}) };
          const r = await withProcessStats(() => step(op.replace("-nockpt", ""), variant, size, proj, w, stepEnv));
          results[variant][op] = r.result;
          stats[variant][op] = r.stats;
          if (variant === "ours") revDelta[op] = String(BigInt(await rev()) - BigInt(before));
          const changes = results[variant][op].changes;
          if (op.startsWith("up") && changes?.create !== size + 1) throw new Error(`${variant} ${op} of ${size}: ${JSON.stringify(changes)}`);
          if (op === "preview" && (changes?.same !== size + 1 || Object.keys(changes).length !== 1))
            throw new Error(`${variant} preview of ${size} is not a no-op: ${JSON.stringify(changes)}`);
        }
        if (op === "export") continue;
        const [o, f] = [results.ours[op].ms, results.floor[op].ms];
        fleetTimes.set(size, { ...fleetTimes.get(size), [op]: { ours: o, floor: f } });
        const label =
          { preview: "preview (no-op)", "up-nockpt": "up, PULUMI_SKIP_CHECKPOINTS", "destroy-nockpt": "destroy, PULUMI_SKIP_CHECKPOINTS" }[op] ?? op;
        timeRows.push([String(size), label, fmt(o / 1000), fmt(f / 1000), `${fmt(o / f)}x`, fmt(o / size), fmt(f / size), revDelta[op]]);
        const [co, cf] = [stats.ours[op].cpu, stats.floor[op].cpu];
        cpuRows.push([
          String(size),
          label,
          ...(["engine", "program", "provider"] as Role[]).flatMap((role) => [`${fmt(co[role], 1)} / ${fmt(cf[role], 1)}`]),
          `${fmt(co.engine / cf.engine)}x`,
        ]);
      }
      const [so, sf] = [results.ours.export.state!, results.floor.export.state!];
      other.push([String(size), "state bytes per peer (total)", fmt(so.bytesPerResource, 0), fmt(sf.bytesPerResource, 0)]);
      other.push([String(size), "  of which __provider (inputs + outputs)", fmt(so.providerBytesPerResource, 0), fmt(sf.providerBytesPerResource, 0)]);
      other.push([String(size), "  of which the peer's own fields (inputs)", fmt(so.ownFieldBytesPerResource, 0), fmt(sf.ownFieldBytesPerResource, 0)]);
      other.push([
        String(size),
        "  overhead beyond the own fields",
        fmt(so.bytesPerResource - so.ownFieldBytesPerResource, 0),
        fmt(sf.bytesPerResource - sf.ownFieldBytesPerResource, 0),
      ]);
      other.push([String(size), "provider peak RSS during up (MB)", fmt(stats.ours.up.providerPeakMb, 1), fmt(stats.floor.up.providerPeakMb, 1)]);
      for (const w of Object.values(works)) for (const d of [w, `${w}-nockpt`]) fs.rmSync(d, { recursive: true, force: true });
      console.error(`fleet ${size}: done`);
    }
  } finally {
    cleanup();
    if (root !== pulumiRoot) fs.rmSync(root, { recursive: true, force: true });
  }
  return `${markdownTable(timeRows)}\n\nCPU time of each process, summed over the step (from /proc; 2 cores are shared by all three):\n\n${markdownTable(cpuRows)}\n\n${markdownTable(other)}`;
}

/**
 * 8. The same number of peers declared per rack (RackPeers of 40 hosts and 2 ToRs), checkpoints on:
 * up, a no-op preview, a one-field change (one ToR's AS number: 40 peers), refresh and destroy,
 * with etcd's RPCs per peer; then calicoctl apply of the same peers as one file.
 */
async function racks(etcd: TestEtcd, sizes: number[], pulumiRoot: string): Promise<string> {
  const { proj, cleanup } = makeProject();
  const env = { ...process.env, ETCD_ENDPOINTS: etcd.endpoint, BENCH_PULUMI_ROOT: pulumiRoot, PULUMI_CONFIG_PASSPHRASE: "bench" };
  const rev = async () => BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
  const rows = [["peers", "racks", "step", "RackPeers s", "ms/peer", "etcd RPCs", "RPCs/peer", "revision delta", "per-peer BgpPeer s", "floor s"]];
  const ctlRows = [
    ["peers", "step", "calicoctl s", "etcd RPCs", "RPCs/peer", "RackPeers s (same step)", "ratio", "RackPeers s above the floor", "ratio above the floor"],
  ];
  const cpuRows = [["peers", "step", "engine CPU s", "program CPU s", "provider CPU s"]];
  const stateRows = [["peers", "state bytes per peer", "of which the serialized provider"]];
  const checkpointRows = [["peers", "checkpoints saved by the up", "MB written", "bytes written per peer"]];
  const floor: Record<string, number> = {};
  try {
    for (const size of sizes) {
      const fabric = rackFabric(size);
      const work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-racks-"));
      const ours: Record<string, number> = {};
      // The floor, in the same run: an up and a preview of a program that declares nothing.
      const emptyWork = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-empty-"));
      for (const op of ["up", "preview"]) {
        const r = await step(op, "empty", size, proj, emptyWork, env);
        floor[`${size} ${op}`] = r.ms;
        rows.push([String(size), "0", `${op} of an empty program (the floor)`, fmt(r.ms / 1000), "-", "-", "-", "0", "-", "-"]);
      }
      fs.rmSync(emptyWork, { recursive: true, force: true });
      for (const op of ["up", "preview", "change", "refresh", "destroy"]) {
        const [r0, c0] = [await rev(), await etcd.rpcCounts()];
        const stepEnv = op === "change" ? { ...env, BENCH_CHANGE: "1" } : env;
        const { result: r, stats } = await withProcessStats(() => step(op === "change" ? "up" : op, "racks", size, proj, work, stepEnv));
        cpuRows.push([String(size), op, ...(["engine", "program", "provider"] as Role[]).map((role) => fmt(stats.cpu[role], 2))]);
        const d = delta(c0, await etcd.rpcCounts());
        const revDelta = (await rev()) - r0;
        const want: Record<string, Record<string, number>> = {
          up: { create: fabric.length + 1 },
          preview: { same: fabric.length + 1 },
          change: { update: 1, same: fabric.length },
        };
        const sorted = (o: object | undefined) => JSON.stringify(Object.entries(o ?? {}).sort());
        if (want[op] && sorted(r.changes) !== sorted(want[op])) throw new Error(`racks ${op} of ${size}: ${JSON.stringify(r.changes)}`);
        ours[op] = r.ms;
        if (op === "up") {
          const st = (await step("export", "racks", size, proj, work, env)).state!;
          stateRows.push([String(size), fmt((st.bytesPerResource * st.resources) / size, 0), fmt((st.providerBytesPerResource * st.resources) / size, 1)]);
        }
        const perPeer = fleetTimes.get(size)?.[op === "change" ? "" : op];
        rows.push([
          String(size),
          String(fabric.length),
          { preview: "preview (no-op)", change: "up, one field changed (40 peers)" }[op] ?? op,
          fmt(r.ms / 1000),
          fmt(r.ms / size),
          `${d.total} (${d.by || "none"})`,
          fmt(d.total / size, 4),
          String(revDelta),
          perPeer ? fmt(perPeer.ours / 1000) : "-",
          perPeer ? fmt(perPeer.floor / 1000) : "-",
        ]);
      }
      fs.rmSync(work, { recursive: true, force: true });
      // The engine's checkpoints, measured: the same up with PULUMI_SKIP_CHECKPOINTS=true (state
      // written once, at the end, instead of around every step).
      const nockpt = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-racks-nockpt-"));
      const skipEnv = { ...env, PULUMI_SKIP_CHECKPOINTS: "true" };
      const { result: skipped, stats: skippedStats } = await withProcessStats(() => step("up", "racks", size, proj, nockpt, skipEnv));
      rows.push([
        String(size),
        String(fabric.length),
        "up, PULUMI_SKIP_CHECKPOINTS=true",
        fmt(skipped.ms / 1000),
        fmt(skipped.ms / size),
        "-",
        "-",
        "-",
        "-",
        "-",
      ]);
      cpuRows.push([
        String(size),
        "up, PULUMI_SKIP_CHECKPOINTS",
        ...(["engine", "program", "provider"] as Role[]).map((role) => fmt(skippedStats.cpu[role], 2)),
      ]);
      await step("destroy", "racks", size, proj, nockpt, skipEnv);
      fs.rmSync(nockpt, { recursive: true, force: true });
      // What the checkpoints write: PULUMI_RETAIN_CHECKPOINTS keeps each one as a file of its own.
      const retained = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-racks-retain-"));
      const retainEnv = { ...env, PULUMI_RETAIN_CHECKPOINTS: "true" };
      await step("up", "racks", size, proj, retained, retainEnv);
      const stacks = path.join(retained, ".pulumi", "stacks", "fleet");
      const saved = fs.readdirSync(stacks).filter((f) => /^racks\.json\.\d+$/.test(f));
      if (saved.length === 0) throw new Error(`no retained checkpoints in ${stacks}: ${fs.readdirSync(stacks).join(", ")}`);
      const savedBytes = saved.reduce((n, f) => n + fs.statSync(path.join(stacks, f)).size, 0);
      checkpointRows.push([String(size), String(saved.length), fmt(savedBytes / 2 ** 20, 1), fmt(savedBytes / size, 0)]);
      await step("destroy", "racks", size, proj, retained, env);
      fs.rmSync(retained, { recursive: true, force: true });

      // What a user would otherwise run: calicoctl apply of the same peers, one file.
      const file = path.join(os.tmpdir(), `bgppeer-racks-${size}.yaml`);
      fabricFile(fabric, file);
      const ctl = calicoctlFor(etcd.endpoint, 3_600_000);
      for (const [label, args, compare] of [
        ["apply -f (create)", ["apply", "-f", file], "up"],
        ["apply -f (unchanged)", ["apply", "-f", file], "preview"],
        ["delete -f", ["delete", "-f", file], "destroy"],
      ] as const) {
        const c0 = await etcd.rpcCounts();
        const t0 = process.hrtime.bigint();
        ctl.ok([...args]);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const d = delta(c0, await etcd.rpcCounts());
        const floorMs = floor[`${size} ${compare === "destroy" ? "up" : compare}`];
        const above = ours[compare] - floorMs;
        ctlRows.push([...calicoctlRow(size, label, ms, d.total, ours[compare]), fmt(above / 1000), `${fmt(above / ms)}x`]);
      }
      ctl.cleanup();
      fs.rmSync(file, { force: true });
      console.error(`racks ${size}: done`);
    }
  } finally {
    cleanup();
  }
  return `${markdownTable(rows)}\n\nThe per-peer BgpPeer and floor columns are section 3's rows of the same size from this run (a fabric of the same size, one resource per peer). CPU time of each process, summed over the step (from /proc; 2 cores are shared by all three):\n\n${markdownTable(cpuRows)}\n\nState after the up (\`pulumi stack export\`, the sets' whole entries over the peers), and what the engine's checkpoints write during the up (\`PULUMI_RETAIN_CHECKPOINTS=true\`, which keeps each):\n\n${markdownTable(stateRows)}\n\n${markdownTable(checkpointRows)}\n\ncalicoctl on the same peers, one multi-document file (RackPeers' ratio: its time over calicoctl's; above the floor: RackPeers' time less the same step of the empty program, the destroy's floor the empty up):\n\n${markdownTable(ctlRows)}`;
}

/**
 * 13. The import round trip, as a user makes it: an irregular fabric that calicoctl wrote
 * (test/harness/fabric.ts), `calico-bgppeer import` (grouped, and --per-peer), then the plain CLI's
 * first `pulumi up --yes` of the generated module in a TypeScript project, and a preview. Both forms
 * of the same fabric side by side; each stack is let go of with `stack rm --force`, which leaves
 * the peers in etcd for the next.
 */
async function importRoundTrip(etcd: TestEtcd, sizes: number[], line?: Line): Promise<string> {
  // On a line, its CLI (with the language host and dynamic provider host beside it) and its node
  // come first on PATH, so npm, the CLI and every Node.js process Pulumi starts run on them.
  const linePath = line ? [tools.ensurePulumi(line.cli), tools.ensureNode(line.node), process.env.PATH].join(path.delimiter) : process.env.PATH;
  const project = () => makeProject(["typescript@5.9.3", `@types/node@${TYPES_NODE[line?.node ?? 20]}`], line?.sdk);
  const { proj, cleanup } = line && linePath ? withPath(linePath, project) : project();
  const rev = async () => BigInt((await etcd.admin.get("/nothing").exec()).header.revision);
  const rows = [["peers", "form", "resources", "module lines", "import s", "first up s", "revision delta", "no-op preview s"]];
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-import-state-"));
  const env = {
    ...process.env,
    PATH: linePath,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "bench",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    CI: "true",
  };
  // Pulumi's ts-node keeps what it compiled in a directory under the system's temp directory, keyed
  // by the source, so only a program's first run type-checks it. Each up here is a user's first of
  // that module: it gets a directory of its own, empty.
  const compiled = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-import-tsnode-"));
  let firsts = 0;
  const firstRun = () => ({ TS_NODE_CACHE_DIRECTORY: path.join(compiled, String(++firsts)) });
  // The command a user runs with the project's Node.js: the line's, found on its PATH.
  const node = line ? "node" : process.execPath;
  const timed = (cmd: string, args: string[], extra: Record<string, string> = {}) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd: proj, env: { ...env, ...extra }, encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  fs.writeFileSync(path.join(proj, "Pulumi.yaml"), "name: imported\nruntime: nodejs\n");
  fs.writeFileSync(
    path.join(proj, "tsconfig.json"),
    // The tsconfig of Pulumi's TypeScript template, as a user's project has it.
    JSON.stringify({ ...PULUMI_TEMPLATE_TSCONFIG, files: ["index.ts"] }),
  );
  try {
    for (const size of sizes) {
      await etcd.admin.delete().prefix("/calico/resources/v3/projectcalico.org/").exec();
      const fabric = irregularFabric(size);
      const file = path.join(os.tmpdir(), `bgppeer-import-${size}.yaml`);
      fs.writeFileSync(file, fabric.docs.map((d) => `---\n${stringify(d)}`).join(""));
      const ctl = calicoctlFor(etcd.endpoint, 3_600_000);
      ctl.ok(["apply", "-f", file]);
      ctl.cleanup();
      fs.rmSync(file, { force: true });
      const cli = (args: string[]) => timed(node, [path.join(ROOT, "dist/provider/cli/main.js"), "import", ...args, "--out", "peers.ts", "--force"]);
      const moduleText = () => fs.readFileSync(path.join(proj, "peers.ts"), "utf8");
      const grouped = { importS: cli([]), text: moduleText() };
      const resources = (grouped.text.match(/= new (RackPeers|BgpPeerSet|BgpPeer)\(/g) ?? []).length;
      // What the grouped module's up costs for its resources alone, and for nothing: the same number
      // of resources holding one peer each (BgpPeers of the first names), a program that imports the
      // package and declares nothing, and one of @pulumi/pulumi alone.
      const firstNames = fabric.docs
        .filter((d) => d.kind === "BGPPeer")
        .map((d) => String(d.metadata.name))
        .sort()
        .slice(0, resources);
      cli(["--per-peer", ...firstNames]);
      const few = moduleText();
      type Variant = "grouped" | "few" | "empty" | "sdk";
      // A module goes where the README's step 5 puts it: peers.ts, imported by index.ts. As the entry
      // module its exports (every resource, with all its peers) would become stack outputs, which
      // each preview and up prints: 1.2 MB for 1,000 peers.
      const sources: Record<Variant, { index: string; peers?: string }> = {
        grouped: { index: 'import "./peers";\n', peers: grouped.text },
        few: { index: 'import "./peers";\n', peers: few },
        empty: { index: 'import "pulumi-calico-bgppeer";\n' },
        sdk: { index: 'import "@pulumi/pulumi";\n' },
      };
      // A first up of a fresh stack, the etcd revision it moved, and (for a module) the no-op preview after it.
      const firstUp = async (stack: string, preview: boolean) => {
        timed("pulumi", ["stack", "init", stack]);
        timed("pulumi", ["config", "set", "calico:etcdEndpoints", etcd.endpoint]);
        const r0 = await rev();
        const up = timed("pulumi", ["up", "--yes"], firstRun());
        const delta = (await rev()) - r0;
        const noop = preview ? timed("pulumi", ["preview", "--expect-no-changes"]) : undefined;
        timed("pulumi", ["stack", "rm", stack, "--force", "--yes"]);
        return { up, delta, noop };
      };
      const ups: Record<Variant, number[]> = { grouped: [], few: [], empty: [], sdk: [] };
      const previews: number[] = [];
      const deltas: bigint[] = [];
      // Three rounds of one first up of each, the order rotated each round: this machine's speed
      // moves within minutes, so each round compares ups made within a minute of one another.
      const order: Variant[] = ["grouped", "few", "empty", "sdk"];
      for (let round = 0; round < 3; round++) {
        for (const v of [...order.slice(round), ...order.slice(0, round)]) {
          fs.writeFileSync(path.join(proj, "index.ts"), sources[v].index);
          if (sources[v].peers !== undefined) fs.writeFileSync(path.join(proj, "peers.ts"), sources[v].peers);
          const r = await firstUp(`${v}-${size}-${round}`, v === "grouped");
          ups[v].push(r.up);
          if (v === "grouped") {
            deltas.push(r.delta);
            previews.push(r.noop!);
          }
        }
      }
      console.error(`import grouped ${size}: done`);
      const runs = (xs: number[]) => (xs.length > 1 ? `${fmt(quantile(xs, 0.5))} (${xs.map((x) => fmt(x)).join(", ")})` : fmt(xs[0]));
      rows.push([
        String(fabric.peers),
        "grouped",
        `${resources} (${fabric.expect.racks} RackPeers, ${fabric.expect.sets} sets, ${fabric.expect.singles} BgpPeers)`,
        String(grouped.text.split("\n").length),
        fmt(grouped.importS),
        runs(ups.grouped),
        deltas.join(", "),
        runs(previews),
      ]);
      // The per-peer form's first up once: minutes, where the others take seconds.
      const perPeer = { importS: cli(["--per-peer"]), text: moduleText() };
      fs.writeFileSync(path.join(proj, "index.ts"), sources.grouped.index);
      const pp = await firstUp(`per-peer-${size}`, true);
      console.error(`import per-peer ${size}: done`);
      rows.push([
        String(fabric.peers),
        "per-peer",
        `${fabric.peers} BgpPeers`,
        String(perPeer.text.split("\n").length),
        fmt(perPeer.importS),
        fmt(pp.up),
        String(pp.delta),
        fmt(pp.noop!),
      ]);
      for (const [label, v] of [
        [`${resources} BgpPeers, one peer each (the grouped module's resource count)`, "few"],
        ["a program that imports the package and declares nothing (the floor)", "empty"],
        ["a program that imports @pulumi/pulumi alone (any TypeScript program's floor)", "sdk"],
      ] as const) {
        rows.push([String(fabric.peers), label, v === "few" ? String(resources) : "0", "-", "-", runs(ups[v]), "-", "-"]);
      }
      // The grouped up over the @pulumi/pulumi-alone up of the same round: what the module costs in
      // units of any TypeScript program's first up, which moves less than the seconds do.
      rows.push([
        String(fabric.peers),
        "grouped first up over @pulumi/pulumi alone's, round by round",
        "-",
        "-",
        "-",
        runs(ups.grouped.map((g, i) => g / ups.sdk[i])),
        "-",
        "-",
      ]);
    }
  } finally {
    cleanup();
    fs.rmSync(state, { recursive: true, force: true });
    fs.rmSync(compiled, { recursive: true, force: true });
  }
  return `${markdownTable(rows)}\n\nThe grouped form's first up and preview: the median of three stacks (each run listed); so are the three rows after the per-peer form's, which split that up into what the engine and SDK cost for the module's resources, for a program of the package and for any TypeScript program. Those four ups are made in three rounds of one each, the order rotated each round, so that each round compares ups made within a minute of one another; the last row is the grouped up over the @pulumi/pulumi-alone up of its round. Each \`pulumi up --yes\` (preview included) runs in a TypeScript project with the packed package, typescript 5.9 and the CLI on PATH, and is a first run of its module: TypeScript type-checks it (ts-node's cache of compiled sources starts empty for each up; the no-op preview after it finds the module compiled). The revision delta is etcd's (0: the up wrote nothing).`;
}

/** `fn` with PATH set to `p`: makeProject's npm runs in this process's environment. */
function withPath<T>(p: string, fn: () => T): T {
  const before = process.env.PATH;
  process.env.PATH = p;
  try {
    return fn();
  } finally {
    process.env.PATH = before;
  }
}

/**
 * 9. calico-bgppeer get and import of a 3,000-peer fabric, as processes (what a user waits for),
 * against one etcd Range of the same keys in-process, Node's own start-up, and calicoctl get.
 */
/**
 * `calico-bgppeer convert` and `validate` of a file of `size` seed-era v1 documents, and
 * `calicoctl convert` of the same file: median time and peak memory of each process.
 */
function convertCost(size: number, runs: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-bench-convert-"));
  const file = path.join(dir, "v1.yaml");
  const docs: string[] = [];
  for (let i = 0; i < size; i++) {
    docs.push(
      `---\napiVersion: v1\nkind: bgpPeer\nmetadata:\n  scope: node\n  node: rack${Math.floor(i / 40)}-host${i % 40}\n  peerIP: 10.${Math.floor(i / 250) % 250}.${i % 250}.1\nspec:\n  asNumber: ${64512 + (i % 100)}\n`,
    );
  }
  const text = docs.join("");
  fs.writeFileSync(file, text);
  const main = path.join(__dirname, "../provider/cli/main.js");
  // GNU time's %e and %M: wall seconds and peak RSS in KB, of the command alone.
  if (!fs.existsSync("/usr/bin/time")) throw new Error("the convert bench needs GNU time (/usr/bin/time): apt-get install -y time");
  const measure = (cmd: string[]) => {
    const times: number[] = [];
    let peak = 0;
    for (let i = 0; i < runs; i++) {
      const r = spawnSync("/usr/bin/time", ["-f", "%e %M", ...cmd], {
        encoding: "utf8",
        maxBuffer: 1 << 28,
        env: { ...process.env, DATASTORE_TYPE: "etcdv3", ETCD_ENDPOINTS: "http://127.0.0.1:9" },
      });
      if (r.status !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
      const [secs, kb] = (r.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
      times.push(secs * 1000);
      peak = Math.max(peak, kb);
    }
    return { ms: quantile(times, 0.5), mb: peak / 1024 };
  };
  const rows = [["command", `median ms (${runs} runs)`, "peak RSS, MB"]];
  const ours = measure([process.execPath, main, "convert", "-f", file]);
  rows.push([`calico-bgppeer convert -f (${size} v1 documents)`, fmt(ours.ms, 0), fmt(ours.mb, 0)]);
  const val = measure([process.execPath, main, "validate", "-f", file]);
  rows.push([`calico-bgppeer validate -f (${size} v1 documents)`, fmt(val.ms, 0), fmt(val.mb, 0)]);
  const ctl = measure([process.env.CALICOCTL!, "convert", "-f", file]);
  rows.push([`calicoctl convert -f (${size} v1 documents)`, fmt(ctl.ms, 0), fmt(ctl.mb, 0)]);
  fs.rmSync(dir, { recursive: true, force: true });
  return `${markdownTable(rows)}\n\nconvert / calicoctl convert: ${fmt(ours.ms / ctl.ms, 2)}x time, ${fmt(ours.mb / ctl.mb, 2)}x memory. The file is ${fmt(Buffer.byteLength(text) / 2 ** 20, 1)} MiB; each command is a new process.`;
}

async function cliCost(etcd: TestEtcd, size: number, runs: number): Promise<string> {
  const { impl: setImpl } = await import("../provider/dynamic/set-provider");
  const { spawnSync } = await import("node:child_process");
  const inputs = await setImpl.check(
    { peers: {} },
    {
      name: "cli-bench",
      peers: rackFabric(size).flatMap((r) =>
        r.hosts.flatMap((node) => r.tors.map((t) => ({ scope: "node", node, peerIP: t.ip, asNumber: t.asNumber, labels: { rack: r.name } }))),
      ),
    },
  );
  if (!inputs.inputs) throw new Error(JSON.stringify(inputs.failures));
  const created = await setImpl.create(inputs.inputs as never);
  const main = path.join(__dirname, "../provider/cli/main.js");
  const env = { PATH: process.env.PATH, ETCD_ENDPOINTS: etcd.endpoint, HOME: os.tmpdir() };
  const ctlDir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-bench-ctl-"));
  const ctl = calicoctlFor(etcd.endpoint, 600_000);
  const timeRuns = (fn: () => void) => {
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      fn();
      xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return quantile(xs, 0.5);
  };
  const proc = (args: string[]) => () => {
    const r = spawnSync(process.execPath, args, { env, encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  };
  const raw = new Etcd3({ hosts: etcd.endpoint });
  await raw.getAll().prefix("/calico/resources/v3/projectcalico.org/bgppeers/").exec();
  const rangeTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await raw.getAll().prefix("/calico/resources/v3/projectcalico.org/bgppeers/").exec();
    rangeTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  raw.close();
  const range = quantile(rangeTimes, 0.5);
  const nodeStart = timeRuns(proc(["-e", ""]));
  const rows = [["command", `median ms (${runs} runs)`, "beyond the Range read, ms"]];
  rows.push([`one etcd Range of the ${size} keys, in-process`, fmt(range, 1), "-"]);
  rows.push(["node -e '' (Node's start-up alone)", fmt(nodeStart, 1), "-"]);
  for (const [label, args] of [
    ["calico-bgppeer get bgppeers -o wide", [main, "get", "bgppeers", "-o", "wide"]],
    ["calico-bgppeer get bgppeers -o yaml", [main, "get", "bgppeers", "-o", "yaml"]],
    ["calico-bgppeer import --out FILE", [main, "import", "--out", path.join(ctlDir, "peers.ts")]],
  ] as const) {
    const ms = timeRuns(proc([...args]));
    rows.push([label, fmt(ms, 1), fmt(ms - range, 1)]);
  }
  const ctlMs = timeRuns(() => ctl.ok(["get", "bgppeers", "-o", "wide"]));
  rows.push(["calicoctl get bgppeers -o wide", fmt(ctlMs, 1), fmt(ctlMs - range, 1)]);
  ctl.cleanup();
  fs.rmSync(ctlDir, { recursive: true, force: true });
  await setImpl.delete("cli-bench", created.outs as never);
  return `${markdownTable(rows)}\n\n${size} peers (the rack fabric of section 8) written by a BgpPeerSet. Each command is a new process, as a user runs it.`;
}

/**
 * 7. What check costs on the largest inputs it accepts, and on a few it refuses early: every size
 * is bounded, so no input makes check slow (pulumi preview runs it for every peer).
 */
function checkCost(iterations: number): string {
  const peer = { name: "p", peerIP: "10.0.0.1", asNumber: 64512 };
  const cases: Array<[string, Record<string, unknown>]> = [
    ["a plain node peer", { ...peer, node: "rack1-host1" }],
    ["selector of 4,087 characters (409 clauses)", { ...peer, nodeSelector: `${"has(a) && ".repeat(408)}has(bb)` }],
    ["selector nested 256 deep", { ...peer, nodeSelector: `${"(".repeat(256)}has(a)${")".repeat(256)}` }],
    ["peerIP of 64 characters", { name: "p", peerIP: `10.0.0.1:${"0".repeat(52)}179`, asNumber: 64512 }],
    ["127 filters", { ...peer, filters: Array.from({ length: 127 }, (_, i) => `filter-${i}`) }],
    ["annotations: 256 KiB of NULs, 1.5 MB as JSON", { ...peer, annotations: { note: "\u0000".repeat(261_400) } }],
    [
      "64 labels of 63+63 characters",
      { ...peer, labels: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}${"a".repeat(60)}`, "v".repeat(63)])) },
    ],
    ["refused: selector of 10,000 clauses", { ...peer, nodeSelector: Array.from({ length: 10_000 }, (_, i) => `has(l${i})`).join(" && ") }],
    ["refused: peerIP of 640 digits", { ...peer, peerIP: "1".repeat(640) }],
    ["refused: hostname of 160,000 characters", { scope: "node", hostname: `${"a".repeat(160_000)}$`, peerIP: "10.0.0.1", asNumber: 1 }],
    ["refused: parentheses nested 5,000 deep", { ...peer, nodeSelector: `${"(".repeat(5000)}has(a)${")".repeat(5000)}` }],
  ];
  const rows: string[][] = [["input", "verdict", "median ms", "max ms"]];
  for (const [label, raw] of cases) {
    const times: number[] = [];
    let verdict = "";
    for (let i = 0; i < iterations; i++) {
      const t = process.hrtime.bigint();
      const r = checkInputs(raw);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      verdict = r.inputs ? "accepted" : `refused (${r.failures[0].property})`;
    }
    rows.push([label, verdict, fmt(quantile(times, 0.5), 3), fmt(Math.max(...times), 3)]);
  }
  return markdownTable(rows);
}

/** The API server's own count of requests to Calico's CRD group, by "VERB resource" (apiserver_request_total). */
async function calicoRequests(kube: TestKube): Promise<Record<string, number>> {
  const r = await kube.call("GET", "/metrics");
  const text: string = r.body.text ?? "";
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (labels.group !== "crd.projectcalico.org") continue;
    const key = `${labels.verb} ${labels.resource}`;
    out[key] = (out[key] ?? 0) + Number(m[2]);
  }
  return out;
}

/**
 * 10. The Kubernetes API datastore (kube-apiserver 1.34, etcd 3.5, Calico v3.31's CRDs): requests
 * per operation, latency against a raw request of the same kind, and the rack fabric under the
 * real CLI against calicoctl in KDD mode.
 */
async function kdd(sizes: number[], iterations: number, pulumiRoot: string): Promise<string> {
  const kube = await startKube();
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith("ETCD_") || k === "CALICOCTL_CONFIG") delete process.env[k];
  process.env.DATASTORE_TYPE = "kubernetes";
  process.env.KUBECONFIG = kube.kubeconfig;
  const parts: string[] = [];
  try {
    // a. Requests per operation: counted as sent by the provider, and by the API server for the Calico group.
    const rows = [["operation", "requests sent", "by request", "at the API server (Calico group)"]];
    const measure = async (label: string, fn: () => Promise<unknown>) => {
      const [c0, s0] = [new Map(kubeRequests), await calicoRequests(kube)];
      const n0 = countRequests();
      await fn();
      const by = [...kubeRequests].filter(([k, v]) => v !== (c0.get(k) ?? 0)).map(([k, v]) => `${k} ${v - (c0.get(k) ?? 0)}`);
      const d = delta(s0, await calicoRequests(kube));
      rows.push([label, String(countRequests() - n0), by.join(", ") || "none", d.by || "none"]);
    };
    const warm = await impl.create(await checked({ name: "warm", peerIP: "10.255.0.1", asNumber: 1 }));
    await impl.delete("warm", warm.outs as PeerOutputs);
    const raw = { name: "rpc-peer", node: "rack1-host1", peerIP: "10.0.0.1", asNumber: 64512 };
    const inputs = await checked(raw);
    let outs!: PeerOutputs;
    await measure("check, a new peer (BgpPeer)", () => impl.check({}, raw));
    await measure("check, a peer in state (BgpPeer)", () => impl.check({ name: "rpc-peer" }, raw));
    await measure("create (BgpPeer)", async () => (outs = (await impl.create(inputs)).outs as PeerOutputs));
    await measure("read (BgpPeer)", () => impl.read("rpc-peer", outs));
    await measure("update (BgpPeer)", async () => (outs = (await impl.update("rpc-peer", outs, { ...inputs, asNumber: 64513 })).outs as PeerOutputs));
    await measure("adopt, spec equal (BgpPeer)", () => impl.create({ ...inputs, asNumber: 64513, adopt: true }));
    await measure("delete (BgpPeer)", () => impl.delete("rpc-peer", outs));
    await kube.call("POST", `${CRD}/bgpfilters`, { apiVersion: "crd.projectcalico.org/v1", kind: "BGPFilter", metadata: { name: "f1" }, spec: {} });
    const filtered = await checked({ ...raw, name: "rpc-filtered", filters: ["f1"] });
    let fOuts!: PeerOutputs;
    await measure("create, with a BGPFilter (BgpPeer)", async () => (fOuts = (await impl.create(filtered)).outs as PeerOutputs));
    await impl.delete("rpc-filtered", fOuts);
    await calicoctlOps(
      calicoctlForKube(kube.kubeconfig),
      async (label, run) => {
        const s0 = await calicoRequests(kube);
        run();
        const d = delta(s0, await calicoRequests(kube));
        rows.push([label, "-", "-", `${d.total}: ${d.by || "none"}`]);
      },
      false,
    );
    parts.push(
      `${markdownTable(rows)}\n\n"requests sent" counts every request of the provider, discovery (GET /apis, once per process, here spent by the warm-up) and GET /version (once per process, only for an ASN above 2^31-1) included. The API server's column counts only requests to crd.projectcalico.org (its apiserver_request_total metric): calicoctl's version check, EnsureInitialized (ClusterInformation, 3 Tier POSTs) and pre-delete GET show there.`,
    );

    // b. Latency against the same request sent raw over one keep-alive TLS connection.
    const https = await import("node:https");
    const agent = new https.Agent({ keepAlive: true, ca: fs.readFileSync(kube.caFile) });
    const send = (method: string, p: string, body?: unknown) =>
      new Promise<any>((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = https.request(
          `${kube.server}${p}`,
          {
            method,
            agent,
            headers: {
              Authorization: `Bearer ${kube.tokens.admin}`,
              Accept: "application/json",
              ...(data ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } : {}),
            },
          },
          (res) => {
            let t = "";
            res.on("data", (c) => (t += c));
            res.on("end", () => resolve(JSON.parse(t)));
          },
        );
        req.on("error", reject);
        if (data) req.write(data);
        req.end();
      });
    const lat = await sideBySide(iterations, "raw request", async (i) => {
      const peer = await checked({ name: `lat-${i}`, node: "n", peerIP: "10.0.0.1", asNumber: 64512 });
      const rawName = `raw-${i}`;
      let o!: PeerOutputs;
      let obj: any;
      return {
        create: [
          async () => (o = (await impl.create(peer)).outs as PeerOutputs),
          async () =>
            (obj = await send("POST", `${CRD}/bgppeers`, {
              kind: "BGPPeer",
              apiVersion: "crd.projectcalico.org/v1",
              metadata: { name: rawName, annotations: { "projectcalico.org/metadata": '{"creationTimestamp":"2026-01-01T00:00:00Z"}' } },
              spec: { node: "n", peerIP: "10.0.0.1", asNumber: 64512 },
            })),
        ],
        read: [() => impl.read(o.name, o), () => send("GET", `${CRD}/bgppeers/${rawName}`)],
        update: [
          async () => (o = (await impl.update(o.name, o, { ...peer, asNumber: 64513 })).outs as PeerOutputs),
          async () => (obj = await send("PUT", `${CRD}/bgppeers/${rawName}`, { ...obj, spec: { ...obj.spec, asNumber: 64513 } })),
        ],
        delete: [
          () => impl.delete(o.name, o),
          () =>
            send("DELETE", `${CRD}/bgppeers/${rawName}`, {
              kind: "DeleteOptions",
              apiVersion: "crd.projectcalico.org/v1",
              preconditions: { uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
            }),
        ],
      };
    });
    agent.destroy();
    parts.push(
      `${lat}\n\n${iterations} samples of each, interleaved (alternating order), against one API server; "raw" is the same HTTP request sent by hand over a keep-alive connection.`,
    );
    closeBackends();

    // c. The rack fabric under the real CLI, and calicoctl apply of the same peers, in KDD mode.
    const { proj, cleanup } = makeProject();
    const env = { ...process.env, BENCH_PULUMI_ROOT: pulumiRoot, PULUMI_CONFIG_PASSPHRASE: "bench" };
    const fleetRows = [["peers", "racks", "step", "RackPeers s", "ms/peer", "requests at the API server (Calico group)", "per peer"]];
    const ctlRows = [["peers", "step", "calicoctl s", "requests (Calico group)", "per peer", "RackPeers s (same step)", "ratio"]];
    try {
      for (const size of sizes) {
        const fabric = rackFabric(size);
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-kdd-racks-"));
        const ours: Record<string, number> = {};
        for (const op of ["up", "preview", "change", "refresh", "destroy"]) {
          const s0 = await calicoRequests(kube);
          const r = await step(op === "change" ? "up" : op, "racks", size, proj, work, op === "change" ? { ...env, BENCH_CHANGE: "1" } : env);
          const d = delta(s0, await calicoRequests(kube));
          ours[op] = r.ms;
          const label = { preview: "preview (no-op)", change: "up, one field changed (40 peers)" }[op] ?? op;
          fleetRows.push([
            String(size),
            String(fabric.length),
            label,
            fmt(r.ms / 1000),
            fmt(r.ms / size),
            `${d.total} (${d.by || "none"})`,
            fmt(d.total / size, 3),
          ]);
        }
        fs.rmSync(work, { recursive: true, force: true });
        const file = path.join(os.tmpdir(), `bgppeer-kdd-racks-${size}.yaml`);
        fabricFile(fabric, file);
        const kctl = calicoctlForKube(kube.kubeconfig, 3_600_000);
        for (const [label, args, compare] of [
          ["apply -f (create)", ["apply", "-f", file], "up"],
          ["apply -f (unchanged)", ["apply", "-f", file], "preview"],
          ["delete -f", ["delete", "-f", file], "destroy"],
        ] as const) {
          const s0 = await calicoRequests(kube);
          const t0 = process.hrtime.bigint();
          kctl.ok([...args]);
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          const d = delta(s0, await calicoRequests(kube));
          ctlRows.push(calicoctlRow(size, label, ms, d.total, ours[compare]));
        }
        kctl.cleanup();
        fs.rmSync(file, { force: true });
        console.error(`kdd racks ${size}: done`);
      }
    } finally {
      cleanup();
    }
    parts.push(`${markdownTable(fleetRows)}\n\ncalicoctl (KDD mode) on the same peers, one multi-document file:\n\n${markdownTable(ctlRows)}`);
  } finally {
    closeBackends();
    process.env = saved;
    await kube.stop();
  }
  return parts.join("\n\n");
}

/**
 * 12. The native provider against the dynamic one, side by side in one run, the same driver and
 * engine: a fleet of one resource per peer (NativeBgpPeer against BgpPeer) at `perPeer` peers,
 * and the rack fabric (native BgpPeerSets against RackPeers) at `perRack` peers. Each variant runs
 * its whole lifecycle in turn (they write the same peers); every up must create and every preview
 * change nothing.
 */
async function nativeVsDynamic(etcd: TestEtcd, perPeer: number, perRack: number, pulumiRoot: string): Promise<string> {
  const { proj, cleanup } = makeProject();
  const env = { ...process.env, ETCD_ENDPOINTS: etcd.endpoint, BENCH_PULUMI_ROOT: pulumiRoot, PULUMI_CONFIG_PASSPHRASE: "bench" };
  const rows = [["fabric", "peers", "step", "native s", "dynamic s", "native / dynamic", "native state bytes/resource", "dynamic state bytes/resource"]];
  try {
    for (const [fabric, size, nativeVariant, dynamicVariant, resources] of [
      ["one resource per peer", perPeer, "native", "ours", perPeer],
      ["per rack (80 peers)", perRack, "native-racks", "racks", rackFabric(perRack).length],
    ] as const) {
      const works = {
        [nativeVariant]: fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-native-")),
        [dynamicVariant]: fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-native-")),
      };
      const state: Record<string, StepResult["state"]> = {};
      const ms: Record<string, Record<string, number>> = {};
      const ops = nativeVariant === "native" ? ["up", "export", "preview", "destroy"] : ["up", "export", "preview", "change", "destroy"];
      // One whole lifecycle after the other: both write the same peers, which one stack may not take from another.
      for (const variant of [nativeVariant, dynamicVariant]) {
        for (const op of ops) {
          const stepEnv = op === "change" ? { ...env, BENCH_CHANGE: "1" } : env;
          const r = await step(op === "change" ? "up" : op, variant, size, proj, works[variant], stepEnv);
          if (op === "export") state[variant] = r.state;
          if (op === "up" && r.changes?.create !== resources + 1) throw new Error(`${variant} up of ${size}: ${JSON.stringify(r.changes)}`);
          if (op === "preview" && (r.changes?.same !== resources + 1 || Object.keys(r.changes).length !== 1))
            throw new Error(`${variant} preview of ${size} is not a no-op: ${JSON.stringify(r.changes)}`);
          if (op === "change" && r.changes?.update !== 1) throw new Error(`${variant} change of ${size}: ${JSON.stringify(r.changes)}`);
          ms[op] = { ...ms[op], [variant]: r.ms };
        }
      }
      for (const op of ops) {
        if (op === "export") continue;
        rows.push([
          fabric,
          String(size),
          { preview: "preview (no-op)", change: "up, one field changed (40 peers)" }[op] ?? op,
          fmt(ms[op][nativeVariant] / 1000),
          fmt(ms[op][dynamicVariant] / 1000),
          `${fmt(ms[op][nativeVariant] / ms[op][dynamicVariant])}x`,
          op === "up" ? fmt(state[nativeVariant]?.bytesPerResource ?? 0, 0) : "",
          op === "up" ? fmt(state[dynamicVariant]?.bytesPerResource ?? 0, 0) : "",
        ]);
      }
      for (const w of Object.values(works)) fs.rmSync(w, { recursive: true, force: true });
      console.error(`native ${fabric} ${size}: done`);
    }
  } finally {
    cleanup();
  }
  return markdownTable(rows);
}

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "100,1000,3000" },
      iterations: { type: "string", default: "300" },
      only: { type: "string", default: "rpc,latency,fleet,racks,cli,check,kdd,convert,native,import" },
      "engine-profiles": { type: "string" },
      // calicoctl in KDD mode is rate-limited to 5 requests a second after a burst of 100: at 3,000
      // peers its three steps alone take about an hour.
      "kdd-sizes": { type: "string", default: "100,1000" },
      line: { type: "string" },
    },
  });
  const line = values.line === undefined ? undefined : LINES.find((l) => l.id === values.line);
  if (values.line !== undefined && !line) throw new Error(`--line ${values.line}: no such line in scripts/matrix.js (${LINES.map((l) => l.id).join(", ")})`);
  const only = new Set(values.only!.split(","));
  if (line && !only.has("import")) throw new Error(`--line applies to section 13 only: add import to --only (${values.only})`);
  const sizes = values.sizes!.split(",").map(Number);
  const iterations = Number(values.iterations);
  if (only.has("check")) console.log(`## 7. check on the largest inputs (${iterations} runs each)\n\n${checkCost(iterations)}\n`);
  if (![...only].some((o) => o !== "check")) return;
  tools.ensureEtcd();
  if (only.has("kdd")) tools.ensureKube();
  const pulumiBin: string = tools.ensurePulumi();
  process.env.CALICOCTL = tools.ensureCalicoctl();
  process.env.PATH = `${pulumiBin}${path.delimiter}${process.env.PATH}`;
  const etcd = await startEtcd();
  // The provider resolves its connection like it does for users; here, from the environment.
  for (const k of Object.keys(process.env)) if (k.startsWith("ETCD_") || k === "CALICOCTL_CONFIG" || k === "DATASTORE_TYPE") delete process.env[k];
  process.env.ETCD_ENDPOINTS = etcd.endpoint;
  try {
    const cpus = os.cpus();
    console.log(`# npm run bench -- --sizes ${sizes.join(",")} --iterations ${iterations}\n`);
    console.log(
      `${new Date().toISOString()} · ${cpus.length} × ${cpus[0]?.model.trim()} · ${fmt(os.totalmem() / 2 ** 30, 1)} GiB · Node ${process.version} · etcd ${execFileSync(tools.ensureEtcd(), ["--version"], { encoding: "utf8" }).split("\n")[0].replace("etcd Version: ", "")} · pulumi ${execFileSync(path.join(pulumiBin, "pulumi"), ["version"], { encoding: "utf8" }).trim()}\n`,
    );
    if (only.has("rpc")) console.log(`## 1. etcd RPCs per operation\n\n${await rpcsPerOp(etcd)}\n`);
    if (only.has("latency")) console.log(`## 2. Per-operation latency against a raw etcd3 transaction\n\n${await latency(etcd, iterations)}\n`);
    closeClient();
    if (only.has("fleet"))
      console.log(
        `## 3-6. Fleet (real Pulumi CLI, file backend): BgpPeer against a do-nothing dynamic provider\n\n${await fleet(etcd, sizes, path.dirname(pulumiBin), values["engine-profiles"])}\n`,
      );
    if (only.has("cli")) console.log(`## 9. calico-bgppeer get and import\n\n${await cliCost(etcd, 3000, 5)}\n`);
    if (only.has("convert")) console.log(`## 11. calico-bgppeer convert and validate of 20,000 documents\n\n${convertCost(20_000, 3)}\n`);
    if (only.has("racks"))
      console.log(`## 8. The same fabrics per rack (RackPeers, checkpoints on), and calicoctl apply\n\n${await racks(etcd, sizes, path.dirname(pulumiBin))}\n`);
    if (only.has("import"))
      console.log(
        `## 13. Import round trip: calicoctl's fabric, \`calico-bgppeer import\`, the first up (grouped and --per-peer)${
          line ? ` on line ${line.id} (Node.js ${tools.NODE_VERSIONS[line.node] ?? line.node}, @pulumi/pulumi ${line.sdk}, CLI ${line.cli})` : ""
        }\n\n${await importRoundTrip(
          etcd,
          sizes.filter((n) => n >= 1000),
          line,
        )}\n`,
      );
    if (only.has("native")) {
      const [perPeer, perRack] = [sizes.find((n) => n >= 1000) ?? sizes[sizes.length - 1], sizes[sizes.length - 1]];
      console.log(
        `## 12. The native provider against the dynamic one (NativeBgpPeer and BgpPeerSet against BgpPeer and RackPeers)\n\n${await nativeVsDynamic(etcd, perPeer, perRack, path.dirname(pulumiBin))}\n`,
      );
    }
    if (only.has("kdd")) {
      closeClient();
      console.log(
        `## 10. The Kubernetes API datastore (kube-apiserver ${tools.KUBERNETES_VERSION}, Calico v3.31 CRDs)\n\n${await kdd(values["kdd-sizes"]!.split(",").map(Number), Math.max(20, Math.floor(iterations / 3)), path.dirname(pulumiBin))}\n`,
      );
    }
  } finally {
    await etcd.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
