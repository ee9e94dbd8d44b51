import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/** The calicoctl built by scripts/tools.js; scripts/test.js exports its path. Fails loudly without it. */
export function calicoctlPath(): string {
  const p = process.env.CALICOCTL;
  assert.ok(p && fs.existsSync(p), `CALICOCTL must name the calicoctl binary (scripts/test.js builds it); got ${JSON.stringify(p)}`);
  return p;
}

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Calicoctl {
  /** Runs `calicoctl ARGS --config CFG` against the etcd this was made for; stdin is `input`. */
  run(args: string[], input?: string): Result;
  /** Like run, but throws with calicoctl's output unless it exits 0. */
  ok(args: string[], input?: string): string;
  /** `calicoctl get bgppeer NAME -o yaml`, parsed. */
  getPeer(name: string): any;
  /** Its calicoctl.cfg, which calico-bgppeer reads too (CALICOCTL_CONFIG, --config). */
  config: string;
  cleanup(): void;
}

/**
 * calicoctl pointed at one etcd through its own config file (so no /etc/calico/calicoctl.cfg or
 * environment of the caller's machine leaks in), DATASTORE_TYPE etcdv3.
 */
export function calicoctlFor(endpoint: string, timeoutMs = 60_000): Calicoctl {
  return calicoctlWith(`datastoreType: etcdv3\n  etcdEndpoints: ${endpoint}`, { DATASTORE_TYPE: "etcdv3", ETCD_ENDPOINTS: endpoint }, timeoutMs);
}

/** calicoctl in Kubernetes datastore mode, through its config file, with the given kubeconfig. */
export function calicoctlForKube(kubeconfig: string, timeoutMs = 60_000): Calicoctl {
  return calicoctlWith(`datastoreType: kubernetes\n  kubeconfig: ${kubeconfig}`, { DATASTORE_TYPE: "kubernetes", KUBECONFIG: kubeconfig }, timeoutMs);
}

function calicoctlWith(spec: string, vars: Record<string, string>, timeoutMs: number): Calicoctl {
  const bin = calicoctlPath();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-calicoctl-"));
  const cfg = path.join(dir, "calicoctl.cfg");
  fs.writeFileSync(cfg, `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  ${spec}\n`);
  const env = { PATH: process.env.PATH, HOME: dir, ...vars };
  const run = (args: string[], input?: string): Result => {
    const r = spawnSync(bin, [...args, "--config", cfg], { input, env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 1 << 28 });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (args: string[], input?: string) => {
    const r = run(args, input);
    assert.equal(r.status, 0, `calicoctl ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  return {
    run,
    ok,
    getPeer: (name) => parse(ok(["get", "bgppeer", name, "-o", "yaml"])),
    config: cfg,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** `calicoctl validate -f -`: Calico's own offline validation (strict parse, then validator.Validate). */
export function calicoctlValidate(doc: unknown): Promise<Result> {
  const bin = calicoctlPath();
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ["validate", "-f", "-"], { env: { PATH: process.env.PATH }, encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ status: err ? (err.code as number) : 0, stdout, stderr });
    });
    child.stdin!.end(JSON.stringify(doc));
  });
}
