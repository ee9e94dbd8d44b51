import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { announcement, providerConfig, VERSION_KEYS } from "../datastore/config";

/**
 * The engine records the stack's `calico:` settings as the provider's inputs at every `pulumi up`,
 * and a later refresh or destroy uses the recorded ones. An up with no changes never reaches the
 * datastore, so without this it would record settings that do not work (a wrong password), and
 * the next destroy would fail with them. So an up (never a preview) makes one authenticated read
 * with the settings before its first peer registers, when they come from stack config: a failure
 * fails the up before the engine sees a peer, and the settings it records stay the last ones that
 * worked.
 *
 * The read runs in a child process (connection-probe.ts), synchronously, so that the constructor
 * of the first peer can throw a RunError, which Pulumi prints as it is. An asynchronous check
 * could only fail the peer's inputs, which Pulumi prints under three layers of "error
 * serializing property".
 */

let checked = false;
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
  const line = announcement((key) => pulumi.runtime.getConfig(key));
  if (line) void pulumi.log.info(line);
}

/** At an up, the first time a peer is declared: the read, or a RunError saying why it failed. */
export function checkConnectionOnce(): void {
  announceOnce();
  if (checked || pulumi.runtime.isDryRun()) return;
  checked = true;
  const values = providerConfig((key) => pulumi.runtime.getConfig(key));
  // Only stack config is recorded: settings from the environment or calicoctl's file are read
  // afresh by every refresh and destroy, so a stack without calico: connection keys has nothing to guard.
  if (!Object.keys(values).some((k) => k !== VERSION_KEYS.stack)) return;
  // Loaded from its TypeScript sources (this repository's demo runs them through ts-node), the
  // child is the built module, which the demo builds first.
  const script = __filename.endsWith(".js")
    ? path.join(__dirname, "connection-probe.js")
    : path.join(__dirname, "..", "..", "dist", "provider", "program", "connection-probe.js");
  if (!fs.existsSync(script)) {
    throw new pulumi.RunError(
      `pulumi-calico-bgppeer is loaded from its TypeScript sources and ${script} is missing: run \`npm run build:lib\` in its repository.`,
    );
  }
  try {
    // The settings, secrets among them, go through stdin, not the command line or environment.
    execFileSync(process.execPath, [script], { input: JSON.stringify(values), stdio: ["pipe", "pipe", "pipe"], encoding: "utf8" });
  } catch (e) {
    const out = (e as { stdout?: string }).stdout?.trim();
    throw new pulumi.RunError(
      `${out || (e as Error).message}\nNothing was written, and the stack keeps the connection settings of its last successful up. Fix the settings and run the up again.`,
    );
  }
}
