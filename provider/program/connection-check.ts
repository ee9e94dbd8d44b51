import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { announcement, providerConfig, VERSION_KEYS } from "../datastore/config";
import { getConfig, isDryRun, log, RunError } from "./sdk";

/**
 * The engine records the stack's `calico:` settings as the provider's inputs at every `pulumi up`,
 * and a later refresh or destroy uses the recorded ones. An up with no changes never reaches the
 * datastore, so without this it would record settings that do not work (a wrong password), and
 * the next destroy would fail with them. So an up (never a preview) makes one authenticated read
 * with the settings before its first peer registers, when they come from stack config: a failure
 * fails the up before the engine sees a peer, and the settings it records stay the last ones that
 * worked.
 *
 * The read runs in a child process (connection-probe.ts) while the program goes on declaring its
 * peers (waiting for it held every up back by about 0.45 s), and each peer's registration waits
 * for it through its dependsOn (withConnectionChecked). A failed read rejects them all with one
 * RunError, which Pulumi prints once, as it is, and the program fails before the engine sees a
 * peer. Not through an input: a failed input is printed under three layers of "error serializing
 * property".
 */

let checked = false;
/** The read while it runs, once an up has declared a peer with settings from stack config. */
let pending: Promise<void> | undefined;
let announced = false;

/**
 * Once per run, the first time a peer is declared: which datastore the peers go to, and which
 * setting chose it, among the stack's diagnostics (a user with DATASTORE_TYPE left in their shell
 * sees it before a preview is approved). The provider resolves the same settings from the same
 * environment.
 */
function announceOnce(): void {
  if (announced) return;
  announced = true;
  const line = announcement(getConfig);
  if (line) void log.info(line);
}

/** At an up, the first time a peer is declared: starts the read (see withConnectionChecked). */
export function checkConnectionOnce(): void {
  announceOnce();
  if (checked || isDryRun()) return;
  checked = true;
  const values = providerConfig(getConfig);
  // Only stack config is recorded: settings from the environment or calicoctl's file are read
  // afresh by every refresh and destroy, so a stack without calico: connection keys has nothing to guard.
  if (!Object.keys(values).some((k) => k !== VERSION_KEYS.stack)) return;
  // Loaded from its TypeScript sources (this repository's demo runs them through ts-node), the
  // child is the built module, which the demo builds first.
  const script = __filename.endsWith(".js")
    ? path.join(__dirname, "connection-probe.js")
    : path.join(__dirname, "..", "..", "dist", "provider", "program", "connection-probe.js");
  if (!fs.existsSync(script)) {
    throw new RunError(`pulumi-calico-bgppeer is loaded from its TypeScript sources and ${script} is missing: run \`npm run build:lib\` in its repository.`);
  }
  pending = new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [script], { encoding: "utf8" }, (e, stdout) => {
      if (!e) return resolve();
      const failure = new RunError(
        `${stdout.trim() || e.message}\nNothing was written, and the stack keeps the connection settings of its last successful up. Fix the settings and run the up again.`,
      );
      // Once the program's last statement has run, Pulumi prints a failure with its stack
      // (cmd/run/index.js), not as a RunError's message alone; the message is all there is to say.
      failure.stack = failure.message;
      reject(failure);
    });
    // The settings, secrets among them, go through stdin, not the command line or environment.
    child.stdin?.end(JSON.stringify(values));
  });
}

/**
 * A peer's options, with its registration held until the connection check has passed: the
 * SDK awaits a promise in dependsOn before it registers the resource, and records only what
 * the promise yields, the peer's own dependsOn.
 */
export function withConnectionChecked<T extends pulumi.CustomResourceOptions>(opts: T | undefined): T | undefined {
  if (!pending) return opts;
  const own = opts?.dependsOn;
  const dependsOn = pending.then(() => own ?? []) as pulumi.CustomResourceOptions["dependsOn"];
  return { ...opts, dependsOn } as T;
}
