import * as session from "../core/session";
import { closeBackends } from "../datastore/select";

/**
 * The child process of the connection check (connection-check.ts): one authenticated read with
 * the settings on stdin, and the typed error's message on stdout when it fails. It loads the
 * datastore layer only: @pulumi/pulumi alone takes about a second to load, which every up would
 * wait for.
 */
async function main(): Promise<void> {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  session.setStackConfig(JSON.parse(input));
  try {
    await session.withClient("the connection check before this up", (b) => b.getPeer("pulumi-calico-bgppeer-connection-check"));
  } catch (e) {
    process.stdout.write((e as Error).message);
    process.exitCode = 1;
  } finally {
    closeBackends();
  }
}

void main();
