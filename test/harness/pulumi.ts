import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";

/** The repository root: the project directory, so the provider process resolves the package by its own name. */
export const ROOT = path.resolve(__dirname, "../../..");

/** The directory holding the real `pulumi` that scripts/test.js put on PATH; fails loudly without it. */
export function pulumiBinDir(): string {
  const bin = process.env.PATH!.split(path.delimiter).find((d) => fs.existsSync(path.join(d, "pulumi")));
  assert.ok(bin, "the Pulumi CLI must be on PATH (scripts/test.js puts it there)");
  return bin;
}

export interface LocalStack {
  stack: Stack;
  /** Temporary directory holding the file backend and the workspace; removed by cleanup. */
  work: string;
  /** Environment that runs the plain `pulumi` CLI against this stack's backend. */
  cliEnv: NodeJS.ProcessEnv;
  cleanup(): void;
}

/**
 * A stack on a local file backend in a fresh temporary directory, driven by the real CLI through
 * the Automation API with an inline program. `envVars` reach the CLI and so the provider process.
 */
export async function localStack(name: string, program: PulumiFn, envVars: Record<string, string> = {}): Promise<LocalStack> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `bgppeer-${name}-`));
  const base = { PULUMI_CONFIG_PASSPHRASE: name, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: name, projectName: `bgppeer-${name}`, program },
    {
      workDir: work,
      pulumiCommand: await PulumiCommand.get({ root: path.dirname(pulumiBinDir()) }),
      projectSettings: { name: `bgppeer-${name}`, runtime: "nodejs", main: ROOT, backend: { url: `file://${work}` } },
      envVars: { ...base, ...envVars },
    },
  );
  return {
    stack,
    work,
    cliEnv: { ...process.env, ...base, PULUMI_BACKEND_URL: `file://${work}` },
    cleanup: () => fs.rmSync(work, { recursive: true, force: true }),
  };
}
