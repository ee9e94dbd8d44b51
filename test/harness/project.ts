import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pulumiBinDir, ROOT } from "./pulumi";

/**
 * `npm pack` of `dir` into `dest`: the tarball's path. Packing this repository runs `prepare`, which
 * rebuilds dist/provider; `ignoreScripts` packs an unpacked tarball as it is (it has no build script).
 */
export function npmPack(dir: string, dest: string, opts: { ignoreScripts?: boolean } = {}): string {
  const args = ["pack", "--silent", "--pack-destination", dest, ...(opts.ignoreScripts ? ["--ignore-scripts"] : [])];
  const name = execFileSync("npm", args, { cwd: dir, encoding: "utf8" }).trim().split("\n").pop()!;
  return path.join(dest, name);
}

let packed: string | undefined;

/**
 * This repository as `npm pack` makes it. scripts/test.js packs it once before any test starts
 * (BGPPEER_TARBALL), because packing rebuilds dist/provider, which tests running alongside load.
 * A test file run on its own packs it here.
 */
export function packedTarball(): string {
  if (process.env.BGPPEER_TARBALL) return process.env.BGPPEER_TARBALL;
  if (!packed) packed = npmPack(ROOT, fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-pack-")));
  return packed;
}

/** Pulumi's `pulumi new typescript` tsconfig (module commonjs, node10 resolution): what most user projects have. */
export const PULUMI_TEMPLATE_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface UserProject {
  dir: string;
  /** The environment `run` gives commands, for a process a test spawns itself. */
  env: NodeJS.ProcessEnv;
  write(file: string, text: string): void;
  /** A command in the project directory: CI=true, no TTY, the real `pulumi` first on PATH, a file backend of its own. */
  run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): CliResult;
  /** The plain `pulumi` CLI, run as `run` runs commands. */
  pulumi(args: string[], env?: NodeJS.ProcessEnv): CliResult;
  /** Same, and fails the test (with the CLI's output) unless it exits 0. */
  ok(args: string[], env?: NodeJS.ProcessEnv): string;
}

/**
 * A user's infra repo in a fresh temporary directory: Pulumi.yaml, package.json, the given files,
 * and `npm install` of the given dependencies (the packed tarball among them), as a user sets it up.
 * `pathFirst` (a matrix line's CLI and node, see lines.ts) goes before the test's own PATH for npm
 * and every command; without it the CLI scripts/test.js put on PATH runs on the test's node.
 */
export function userProject(
  parent: string,
  name: string,
  opts: { dependencies: Record<string, string>; files: Record<string, string>; pathFirst?: string[] },
): UserProject {
  const dir = path.join(parent, name);
  const PATH = [...(opts.pathFirst ?? [pulumiBinDir()]), process.env.PATH].join(path.delimiter);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\ndescription: a user's BGP peers\n`);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true, dependencies: opts.dependencies }, null, 2));
  for (const [f, text] of Object.entries(opts.files)) fs.writeFileSync(path.join(dir, f), text);
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PATH },
  });
  const state = path.join(dir, ".pulumi-state");
  fs.mkdirSync(state);
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PATH,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: name,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    CI: "true",
    // Connection settings come from each stack's config, never from the test's environment.
    ETCD_ENDPOINTS: "",
    CALICOCTL_CONFIG: path.join(os.tmpdir(), "no-calicoctl.cfg"),
  };
  const project: UserProject = {
    dir,
    env: baseEnv,
    write: (file, text) => fs.writeFileSync(path.join(dir, file), text),
    pulumi: (args, env) => project.run("pulumi", args, env),
    run(cmd, args, env = {}) {
      const r = spawnSync(cmd, args, { cwd: dir, env: { ...baseEnv, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
      if (r.error) throw r.error;
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    ok(args, env) {
      const r = project.pulumi(args, env);
      assert.equal(r.status, 0, `pulumi ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
  };
  return project;
}

/** Every installed copy of @pulumi/pulumi under a project. */
export function sdkCopies(dir: string): string[] {
  const found: string[] = [];
  const walk = (nm: string) => {
    if (!fs.existsSync(nm)) return;
    for (const entry of fs.readdirSync(nm)) {
      if (entry.startsWith("@")) {
        for (const sub of fs.readdirSync(path.join(nm, entry))) visit(path.join(nm, entry, sub), `${entry}/${sub}`);
      } else visit(path.join(nm, entry), entry);
    }
  };
  const visit = (pkg: string, name: string) => {
    if (name === "@pulumi/pulumi") found.push(pkg);
    walk(path.join(pkg, "node_modules"));
  };
  walk(path.join(dir, "node_modules"));
  return found;
}
