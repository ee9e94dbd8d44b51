#!/usr/bin/env node
import * as fs from "node:fs";
import { Command, Option } from "commander";
import type { Etcd3 } from "etcd3";
import { closeClient, getClient } from "../datastore/client";
import { type ConnectionSettings, describe, resolveConnection } from "../datastore/config";
import { wrapTransport } from "../datastore/errors";
import type { StoredKV } from "../datastore/store";
import { PEER_PREFIX, peerKey, UnreadableValueError } from "../model/codec";
import { RuleError } from "../model/errors";
import { parseSelector, type Selector } from "../model/selector";
import { generateModule } from "./codegen";
import { listView, type PeerView, peerView, toJson, toTable, toYaml } from "./view";

/**
 * `calico-bgppeer`: list existing peers as calicoctl does, and bring them under management as code
 * (`import`). It connects as the provider does: calicoctl's environment variables, then its config
 * file (`--config`, CALICOCTL_CONFIG, /etc/calico/calicoctl.cfg). Exit codes follow calicoctl: 0 on
 * success, 1 on any failure, with the reason on stderr. It never writes to etcd.
 */

/** The resource words calicoctl accepts for BGPPeer (resourcemgr/bgppeer.go), case-insensitively. */
export const RESOURCE_WORDS = ["bgppeer", "bgppeers", "bgpp", "bgpps", "bp", "bps"];

class CliError extends Error {}

interface Selection {
  names: string[];
  node?: string;
  selector?: string;
  config?: string;
}

function connection(config: string | undefined): ConnectionSettings {
  const env = config ? { ...process.env, CALICOCTL_CONFIG: config } : process.env;
  return resolveConnection({ env });
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
  let selector: Selector | undefined;
  if (sel.selector !== undefined) {
    try {
      selector = parseSelector("--selector", sel.selector);
    } catch (e) {
      if (e instanceof RuleError) throw new CliError(e.message);
      throw e;
    }
  }
  const s = connection(sel.config);
  const client: Etcd3 = getClient(s);
  const problems: string[] = [];
  const kvs: [string, StoredKV][] = [];
  let revision: string;
  try {
    if (sel.names.length) {
      revision = "0";
      for (const name of sel.names) {
        const res = await client.get(peerKey(name)).exec();
        revision = res.header.revision;
        const kv = res.kvs[0];
        if (kv) kvs.push([name, { value: kv.value.toString("utf8"), modRevision: kv.mod_revision }]);
        else problems.push(`resource does not exist: BGPPeer(${name}) with error: <nil>`);
      }
    } else {
      const res = await client.getAll().prefix(PEER_PREFIX).exec();
      revision = res.header.revision;
      for (const kv of res.kvs) {
        kvs.push([kv.key.toString("utf8").slice(PEER_PREFIX.length), { value: kv.value.toString("utf8"), modRevision: kv.mod_revision }]);
      }
    }
  } catch (e) {
    throw new CliError(wrapTransport(e, s, "read").message);
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
  return { views, revision, problems, source: describe(s) };
}

function resourceWord(word: string): void {
  if (!RESOURCE_WORDS.includes(word.toLowerCase())) {
    throw new CliError(`resource type '${word}' is not supported: calico-bgppeer handles BGP peers (${RESOURCE_WORDS.join(", ")})`);
  }
}

function selectionOptions(cmd: Command): Command {
  return cmd
    .option("--node <node>", "only the peers of this Calico node (spec.node)")
    .option("-l, --selector <selector>", "only the peers whose labels match this Calico selector, e.g. \"rack == 'r1'\"")
    .option("-c, --config <file>", "calicoctl config file (CalicoAPIConfig), used when ETCD_ENDPOINTS is not set", undefined);
}

export function program(out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Command {
  const p = new Command("calico-bgppeer")
    .description("Calico BGP peers as code: list peers in Calico's etcd v3 datastore, and import them as BgpPeer declarations.")
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride();
  let failed = false;

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
      .description("write a TypeScript module that declares the selected peers as BgpPeers with adopt: true")
      .argument("[names...]", "peers by Calico name (all when none)")
      .option("--out <file>", "write the module to this file instead of stdout")
      .option("--from <package>", "the package the module imports BgpPeer from", "pulumi-calico-bgppeer"),
  ).action(async (names: string[], o: { out?: string; from: string } & Omit<Selection, "names">) => {
    const r = await read({ ...o, names });
    if (r.problems.length) throw new CliError(`${r.problems.join("\n")}\nNothing was generated.`);
    const text = generateModule(r.views, { source: r.source, from: o.from });
    if (o.out) {
      fs.writeFileSync(o.out, text);
      err(`wrote ${r.views.length} peer(s) to ${o.out}\n`);
    } else out(text);
  });

  p.hook("postAction", () => {
    if (failed) throw new CliError("");
  });
  return p;
}

/** Runs the CLI: the exit code. */
export async function main(argv: string[]): Promise<number> {
  const p = program();
  try {
    await p.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help") return 0;
    if (typeof code === "string" && code.startsWith("commander.")) return 1;
    if (e instanceof CliError) {
      if (e.message) process.stderr.write(`${e.message}\n`);
      return 1;
    }
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  } finally {
    closeClient();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
