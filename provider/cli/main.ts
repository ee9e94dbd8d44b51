#!/usr/bin/env node
import * as fs from "node:fs";
import { Argument, Command, Option } from "commander";
import { fieldChanges, setChanges } from "../core/changes";
import type { Stored } from "../datastore/api";
import { type Datastore, resolveDatastore, withoutDatastoreEnv } from "../datastore/config";
import { backendFor, closeBackends } from "../datastore/select";
import { UnreadableValueError } from "../model/codec";
import { RuleError } from "../model/errors";
import { parseSelector, type Selector } from "../model/selector";
import { generateModule } from "./codegen";
import { completionScript } from "./completion";
import { readV1Peers } from "./etcdv2";
import { checkManifest, type Manifest, type ManifestProblem, manifestFiles, readManifests, toInputs, v3Object } from "./manifests";
import { listView, type PeerView, peerView, toJson, toTable, toYaml } from "./view";

/**
 * `calico-bgppeer`: list existing peers as calicoctl does, bring them under management as code
 * (`import`, also from a Calico <= 2.6 etcdv2 datastore), and check and convert manifests with
 * BgpPeer's own rules. It connects as the provider does: calicoctl's environment variables, then
 * its config file (`--config`, CALICOCTL_CONFIG, /etc/calico/calicoctl.cfg). Exit codes follow
 * calicoctl: 0 on success, 1 on any failure, with the reason on stderr. It never writes to the
 * datastore (etcd v3, or the Kubernetes API when the settings say datastoreType kubernetes).
 */

/** The resource words calicoctl accepts for BGPPeer (resourcemgr/bgppeer.go), case-insensitively. */
export const RESOURCE_WORDS = ["bgppeer", "bgppeers", "bgpp", "bgpps", "bp", "bps"];

class CliError extends Error {}

/** diff's failure under --exit-code, where 1 means "there are changes": it exits 2. */
class DiffError extends CliError {}

/** The module's form: grouped unless asked (codegen.ts says why). */
const PER_PEER = [
  "--per-peer",
  "one BgpPeer resource per peer, instead of a RackPeers per rack and a BgpPeerSet per group (an up then pays the engine's checkpoint per peer: minutes for a thousand peers)",
] as const;

/** Where to connect: -c and --context. */
interface Target {
  config?: string;
  context?: string;
}

interface Selection extends Target {
  names: string[];
  node?: string;
  selector?: string;
}

/**
 * The datastore: as calicoctl, a config file given with -c is all there is (the environment's
 * datastore variables are set aside); without one, the provider's order (the environment, then
 * CALICOCTL_CONFIG, then /etc/calico/calicoctl.cfg). --context picks the kubeconfig context,
 * whichever source gives the Kubernetes settings.
 */
function connection({ config, context }: Target): Datastore {
  if (config !== undefined && !fs.existsSync(config)) {
    throw new CliError(`--config ${config}: no such file (calicoctl would fall back to the environment; calico-bgppeer does not)`);
  }
  const env = config === undefined ? process.env : { ...withoutDatastoreEnv(process.env).env, CALICOCTL_CONFIG: config };
  const d = resolveDatastore({ env, kubeContext: context });
  if (context !== undefined && d.type === "etcdv3") {
    throw new CliError(`--context ${context}: a kubeconfig context, but the settings select etcd (${d.etcd.endpoints.join(",")}, from ${d.etcd.source})`);
  }
  return d;
}

interface Read {
  views: PeerView[];
  revision: string;
  /** Names asked for that do not exist, and values that cannot be read. */
  problems: string[];
  source: string;
}

/** The selected peers: by name (one read each), or all under the prefix (one Range), then filtered. */
async function read(sel: Selection): Promise<Read> {
  const selector = sel.selector === undefined ? undefined : parseOrFail(sel.selector);
  const b = backendFor(connection(sel));
  const problems: string[] = [];
  const kvs: [string, Stored][] = [];
  let revision: string;
  try {
    if (sel.names.length) {
      // Named peers print as objects, not as a list, so no list revision is needed.
      revision = "";
      const found = await b.getPeersIn(sel.names);
      for (const name of sel.names) {
        const kv = found.get(name);
        if (kv) kvs.push([name, kv]);
        else problems.push(`resource does not exist: BGPPeer(${name}) with error: <nil>`);
      }
    } else {
      const res = await b.listPeers();
      revision = res.revision;
      kvs.push(...res.peers);
    }
  } catch (e) {
    throw new CliError(b.wrap(e, "read").message);
  }
  const views: PeerView[] = [];
  for (const [name, kv] of kvs) {
    try {
      const v = peerView(name, kv);
      if (sel.node !== undefined && v.spec.node !== sel.node) continue;
      if (selector && !selector.matches((v.metadata.labels ?? {}) as Record<string, string>)) continue;
      views.push(v);
    } catch (e) {
      if (!(e instanceof UnreadableValueError)) throw e;
      problems.push(e.message);
    }
  }
  return { views, revision, problems, source: b.where };
}

/** The name, --node and --selector filters on peers that were not read from the datastore (v1 peers of etcdv2, manifests). */
function select(views: PeerView[], names: string[], sel: Omit<Selection, "names">): PeerView[] {
  const selector = sel.selector === undefined ? undefined : parseOrFail(sel.selector);
  return views.filter(
    (v) =>
      (names.length === 0 || names.includes(String(v.metadata.name))) &&
      (sel.node === undefined || v.spec.node === sel.node) &&
      (!selector || selector.matches((v.metadata.labels ?? {}) as Record<string, string>)),
  );
}

function parseOrFail(text: string): Selector {
  try {
    return parseSelector("--selector", text);
  } catch (e) {
    if (e instanceof RuleError) throw new CliError(e.message);
    throw e;
  }
}

function readAll(paths: string[], recursive?: boolean): { manifests: Manifest[]; problems: ManifestProblem[] } {
  const manifests: Manifest[] = [];
  const { files, problems } = manifestFiles(paths, recursive);
  for (const f of files) {
    const r = readManifests(f);
    for (const m of r.manifests) manifests.push(m);
    for (const pr of r.problems) problems.push(pr);
  }
  return { manifests, problems };
}

/** How many documents with the same problem are listed before the rest are only counted. */
const SAME_PROBLEM_SHOWN = 3;

/** Problems as lines, in order; one repeated in many documents is listed a few times, then counted. */
function problemLines(problems: ManifestProblem[]): string[] {
  const seen = new Map<string, number>();
  const lines: string[] = [];
  for (const pr of problems) {
    const n = (seen.get(pr.message) ?? 0) + 1;
    seen.set(pr.message, n);
    if (n <= SAME_PROBLEM_SHOWN) lines.push(`${pr.where}: ${pr.message}`);
  }
  for (const [message, n] of seen)
    if (n > SAME_PROBLEM_SHOWN) lines.push(`... and ${n - SAME_PROBLEM_SHOWN} more document(s) with the same problem: ${message}`);
  return lines;
}

function resourceWord(word: string): void {
  if (!RESOURCE_WORDS.includes(word.toLowerCase())) {
    throw new CliError(`resource type '${word}' is not supported: calico-bgppeer handles BGP peers (${RESOURCE_WORDS.join(", ")})`);
  }
}

function targetOptions(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "calicoctl config file (CalicoAPIConfig): as in calicoctl, it wins over the environment's datastore variables", undefined)
    .option("--context <name>", "the kubeconfig context to use (Kubernetes datastore), whichever source gives the kubeconfig");
}

function selectionOptions(cmd: Command): Command {
  return targetOptions(
    cmd
      .option("--node <node>", "only the peers of this Calico node (spec.node)")
      .option("-l, --selector <selector>", "only the peers whose labels match this Calico selector, e.g. \"rack == 'r1'\""),
  );
}

/** -f and -R, as calicoctl's create/apply take them. */
function fileOptions(cmd: Command): Command {
  return cmd
    .requiredOption("-f, --filename <paths...>", 'manifest files or directories (YAML or JSON, several documents each; "-" for stdin)')
    .option("-R, --recursive", "read the subdirectories of a directory given to -f too (without it, only its own .yaml, .yml and .json files)");
}

export function program(out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Command {
  const version = (require("../../../package.json") as { version: string }).version;
  const p = new Command("calico-bgppeer")
    .description(
      "Calico BGP peers as code: list the peers in Calico's etcd v3 or Kubernetes API datastore, import them as code, and check and convert manifests. It never writes to the datastore.",
    )
    .version(version)
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride()
    .addHelpText(
      "after",
      `
Examples:
  ETCD_ENDPOINTS=https://etcd1:2379 calico-bgppeer get bgppeers -o wide
  calico-bgppeer get bgppeers -c /etc/calico/calicoctl.cfg -l "rack == 'r1'" -o yaml
  DATASTORE_TYPE=kubernetes KUBECONFIG=~/.kube/config calico-bgppeer import --out peers.ts
  calico-bgppeer validate -f peers.yaml
  calico-bgppeer convert -f v1-peers.yaml -o ts
  calico-bgppeer diff -f peers/ -R --context prod
  source <(calico-bgppeer completion bash)

It connects as calicoctl does: -c FILE, else ETCD_ENDPOINTS (and ETCD_* credentials) or
DATASTORE_TYPE=kubernetes with KUBECONFIG, else CALICOCTL_CONFIG, else /etc/calico/calicoctl.cfg.
Exit status: 0 on success, 1 on any failure, with the reason on stderr (diff --exit-code: 1 when
something would change, 2 on a failure).`,
    );
  let failed = false;

  p.command("version")
    .description("print calico-bgppeer's version")
    .action(() => out(`calico-bgppeer ${version}\n`));

  selectionOptions(
    p
      .command("get")
      .description("list BGP peers as `calicoctl get bgppeers` does")
      .argument("<resource>", `the resource: ${RESOURCE_WORDS.join(", ")}`)
      .argument("[names...]", "peers by Calico name (all when none)")
      .addOption(new Option("-o, --output <format>", "output format").choices(["ps", "wide", "yaml", "json"]).default("ps")),
  ).action(async (word: string, names: string[], o: { output: string } & Omit<Selection, "names">) => {
    resourceWord(word);
    const r = await read({ ...o, names });
    if (o.output === "ps" || o.output === "wide") {
      // calicoctl prints one table per named resource.
      if (names.length) for (const v of r.views) out(toTable([v]));
      else out(toTable(r.views));
    } else {
      // As calicoctl: named peers print as one object when one is found, as a sequence when more are.
      const doc = names.length ? (r.views.length === 1 ? r.views[0] : r.views.length ? r.views : null) : listView(r.views, r.revision);
      out(o.output === "yaml" ? toYaml(doc) : toJson(doc));
    }
    for (const m of r.problems) err(`${m}\n`);
    if (r.problems.length) failed = true;
  });

  selectionOptions(
    p
      .command("import")
      .description(
        "write a TypeScript module that declares the selected peers with adopt: true: a RackPeers per rack, a BgpPeerSet per other rack or group of node peers with one spec, a BgpPeer per peer left",
      )
      .argument("[names...]", "peers by Calico name (all when none)")
      .option("--out <file>", "write the module to this file instead of stdout (an existing file only with --force)")
      .option("--force", "let --out replace an existing file")
      .option("--from <package>", "the package the module imports the resource classes from", "pulumi-calico-bgppeer")
      .option(PER_PEER[0], PER_PEER[1])
      .option("--from-etcdv2 <endpoints>", "read the v1 peers of a Calico <= 2.6 etcdv2 datastore instead (comma-separated URLs)")
      .option(
        "--pulumi-import-file",
        "write, instead of a module, the file `pulumi import --file` takes: every selected peer as a calico:index:BgpPeer of the native provider",
      ),
  ).action(
    async (
      names: string[],
      o: { out?: string; force?: boolean; from: string; perPeer?: boolean; fromEtcdv2?: string; pulumiImportFile?: boolean } & Omit<Selection, "names">,
    ) => {
      // Before reading anything: a module the user edited is not replaced by accident.
      if (o.out !== undefined && !o.force && fs.existsSync(o.out)) {
        throw new CliError(`--out ${o.out}: the file exists; calico-bgppeer import replaces it only with --force. Nothing was generated.`);
      }
      let views: PeerView[];
      let source: string;
      if (o.fromEtcdv2 !== undefined) {
        const v1 = await readV1Peers(
          o.fromEtcdv2
            .split(",")
            .map((e) => e.trim())
            .filter(Boolean),
        );
        const problems = [...v1.problems];
        views = [];
        for (const peer of v1.peers) {
          const c = checkManifest({ where: peer.key, version: "v1", inputs: peer.inputs });
          if ("failures" in c) problems.push(`${peer.key}: ${c.failures.join("; ")}`);
          else views.push(v3Object(c.inputs));
        }
        views = select(views, names, o);
        if (problems.length) throw new CliError(`${problems.join("\n")}\nNothing was generated.`);
        source = `the v1 BGP peers in etcdv2 ${v1.endpoint} (converted as calico-upgrade converts them)`;
      } else {
        const r = await read({ ...o, names });
        if (r.problems.length) throw new CliError(`${r.problems.join("\n")}\nNothing was generated.`);
        views = r.views;
        source = r.source;
      }
      err(`read ${views.length} peer(s) from ${source}\n`);
      if (o.pulumiImportFile) {
        // pulumi import --file: the resource name is the Calico name, and so is the id Read takes.
        const resources = views.map((v) => ({ type: "calico:index:BgpPeer", name: v.metadata.name, id: v.metadata.name }));
        write(`${JSON.stringify({ resources }, null, 2)}\n`, views.length, o.out);
        return;
      }
      write(generateModule(views, { source, from: o.from, perPeer: o.perPeer }), views.length, o.out);
    },
  );

  fileOptions(p.command("validate").description("check BGPPeer manifests (v3 BGPPeer, or v1 bgpPeer) with BgpPeer's rules; writes nothing")).action(
    (o: { filename: string[]; recursive?: boolean }) => {
      const { manifests, problems } = readAll(o.filename, o.recursive);
      const seen = new Map<string, string>();
      let valid = 0;
      for (const m of manifests) {
        const c = checkManifest(m);
        if (!("failures" in c)) for (const n of m.notes ?? []) err(`note: ${m.where}: ${n} ("${c.inputs.name}")\n`);
        if ("failures" in c) {
          const name = typeof m.inputs.name === "string" ? ` (BGPPeer "${m.inputs.name}")` : "";
          for (const f of c.failures) problems.push({ where: `${m.where}${name}`, message: f });
          continue;
        }
        const first = seen.get(c.inputs.name);
        if (first) {
          problems.push({
            where: `${m.where} (BGPPeer "${c.inputs.name}")`,
            message: `name: ${JSON.stringify(c.inputs.name)} is also the name of ${first}: one etcd key`,
          });
          continue;
        }
        seen.set(c.inputs.name, m.where);
        valid++;
      }
      for (const line of problemLines(problems)) err(`${line}\n`);
      out(`${manifests.length} BGP peer(s) read, ${valid} valid${problems.length ? `, ${problems.length} problem(s)` : ""}\n`);
      if (problems.length) failed = true;
    },
  );

  fileOptions(
    p.command("convert").description("convert v1 bgpPeer manifests to v3 BGPPeer, as calico-upgrade and `calicoctl convert` do, or to BgpPeer TypeScript"),
  )
    .addOption(new Option("-o, --output <format>", "output format").choices(["yaml", "json", "ts"]).default("yaml"))
    .option("--from <package>", "with -o ts: the package the module imports the resource classes from", "pulumi-calico-bgppeer")
    .option(PER_PEER[0], `with -o ts: ${PER_PEER[1]}`)
    .action((o: { filename: string[]; recursive?: boolean; output: string; from: string; perPeer?: boolean }) => {
      const { manifests, problems } = readAll(o.filename, o.recursive);
      const views: PeerView[] = [];
      for (const m of manifests) {
        if (m.version === "v3" && o.output !== "ts") {
          problems.push({ where: m.where, message: "is already a projectcalico.org/v3 BGPPeer: nothing to convert (-o ts turns it into a BgpPeer)" });
          continue;
        }
        const c = checkManifest(m);
        if ("failures" in c) for (const f of c.failures) problems.push({ where: m.where, message: f });
        else {
          views.push(v3Object(c.inputs));
          for (const n of m.notes ?? []) err(`note: ${m.where}: ${n} ("${c.inputs.name}")\n`);
        }
      }
      if (problems.length) {
        throw new CliError(`${problemLines(problems).join("\n")}\n${manifests.length} BGP peer(s) read, ${problems.length} problem(s). Nothing was converted.`);
      }
      if (o.output === "ts") {
        out(generateModule(views, { source: o.filename.join(", "), from: o.from, perPeer: o.perPeer }));
        return;
      }
      // As calicoctl convert: one object, or a List of them.
      const doc = views.length === 1 ? views[0] : { kind: "List", apiVersion: "v1", metadata: {}, items: views };
      out(o.output === "yaml" ? toYaml(doc) : toJson(doc));
    });

  targetOptions(
    fileOptions(
      p
        .command("diff")
        .description(
          "show what applying BGPPeer manifests (calicoctl apply -f) would change in the datastore, a line per field as a preview prints it; writes nothing",
        ),
    ).option("--exit-code", "exit 1 when there are changes, as git diff --exit-code (problems exit 2 then)"),
  ).action(async (o: { filename: string[]; recursive?: boolean; exitCode?: boolean } & Target) => {
    try {
      await diff(o);
    } catch (e) {
      // Under --exit-code, 1 means "changes": every failure exits 2, as git diff's do.
      throw o.exitCode ? new DiffError((e as Error).message) : e;
    }
  });

  async function diff(o: { filename: string[]; recursive?: boolean; exitCode?: boolean } & Target): Promise<void> {
    const { manifests, problems } = readAll(o.filename, o.recursive);
    const wanted: Record<string, Record<string, unknown>> = {};
    for (const m of manifests) {
      const c = checkManifest(m);
      if ("failures" in c) for (const f of c.failures) problems.push({ where: m.where, message: f });
      else if (wanted[c.inputs.name]) problems.push({ where: m.where, message: `name: ${JSON.stringify(c.inputs.name)} is declared twice: one etcd key` });
      else wanted[c.inputs.name] = c.inputs as unknown as Record<string, unknown>;
    }
    if (problems.length) throw new CliError(`${problemLines(problems).join("\n")}\nNothing was compared.`);
    const b = backendFor(connection(o));
    err(`comparing with ${b.where}\n`);
    let found: Map<string, Stored>;
    try {
      found = await b.getPeersIn(Object.keys(wanted));
    } catch (e) {
      throw new CliError(b.wrap(e, "read").message);
    }
    const live: Record<string, Record<string, unknown>> = {};
    for (const [name, kv] of found) {
      let view: PeerView;
      try {
        view = peerView(name, kv);
      } catch (e) {
        if (e instanceof UnreadableValueError) throw new CliError(e.message);
        throw e;
      }
      const r = toInputs(view);
      const c = "message" in r ? { failures: [r.message] } : checkManifest({ where: name, ...r });
      if ("failures" in c) throw new CliError(`BGPPeer(${name}) in the datastore: ${c.failures.join("; ")}`);
      live[name] = c.inputs as unknown as Record<string, unknown>;
    }
    const lines = setChanges(live, wanted, (n) => `BGPPeer(${n})`);
    for (const line of lines) out(`${line}\n`);
    const names = Object.keys(wanted);
    const created = names.filter((n) => !live[n]).length;
    const changed = names.filter((n) => live[n] && fieldChanges(live[n], wanted[n]).length).length;
    out(`${names.length} BGP peer(s) read: ${created} to create, ${changed} to change, ${names.length - created - changed} unchanged\n`);
    if (o.exitCode && lines.length) failed = true;
  }

  p.command("completion")
    .description("print a shell completion script")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(["bash", "zsh"]))
    .addHelpText(
      "after",
      "\nbash: source <(calico-bgppeer completion bash)   (in ~/.bashrc)\nzsh:  source <(calico-bgppeer completion zsh)    (in ~/.zshrc, after compinit)",
    )
    .action((shell: "bash" | "zsh") => out(completionScript(p, shell, { get: RESOURCE_WORDS, completion: ["bash", "zsh"] })));

  function write(text: string, count: number, file: string | undefined): void {
    if (file) {
      fs.writeFileSync(file, text);
      err(`wrote ${count} peer(s) to ${file}\n`);
    } else out(text);
  }

  p.hook("postAction", () => {
    if (failed) throw new CliError("");
  });
  return p;
}

/** Runs the CLI: the exit code. */
export async function main(argv: string[]): Promise<number> {
  const p = program();
  if (argv.length === 0) {
    // No command is a mistake, as calicoctl treats it: the usage, on stderr, and a failure.
    p.outputHelp({ error: true });
    return 1;
  }
  try {
    await p.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help") return 0;
    if (typeof code === "string" && code.startsWith("commander.")) return 1;
    if (e instanceof CliError) {
      if (e.message) process.stderr.write(`${e.message}\n`);
      return e instanceof DiffError ? 2 : 1;
    }
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  } finally {
    closeBackends();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
