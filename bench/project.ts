import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/**
 * A user project with the packed package installed, plus a do-nothing provider package for the
 * floor. `sdk` is the project's @pulumi/pulumi (a line's, for --line); by default the one this
 * repository develops against.
 */
export function makeProject(extra: string[] = [], sdk?: string): { proj: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-bench-"));
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" }).trim();
  const proj = path.join(dir, "proj");
  fs.mkdirSync(proj);
  // The user's own SDK, at the version this repository develops against unless a line says another:
  // the package takes it as a peer.
  const version = sdk ?? JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version;
  fs.writeFileSync(
    path.join(proj, "package.json"),
    JSON.stringify({ name: "fleet", version: "1.0.0", private: true, dependencies: { "@pulumi/pulumi": version } }),
  );
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", path.join(dir, tarball), ...extra], {
    cwd: proj,
    stdio: "inherit",
  });
  // The floor: an otherwise identical dynamic resource whose provider does no work. Installed as a
  // package, so Pulumi serializes it as a require just like ours.
  const noop = path.join(proj, "node_modules/bench-noop-provider");
  fs.mkdirSync(noop);
  fs.writeFileSync(path.join(noop, "package.json"), JSON.stringify({ name: "bench-noop-provider", version: "1.0.0", main: "index.js" }));
  fs.writeFileSync(
    path.join(noop, "index.js"),
    [
      "exports.check = async (olds, news) => ({ inputs: news });",
      "exports.diff = async () => ({ changes: false });",
      "exports.create = async (inputs) => ({ id: inputs.node + '.' + inputs.peerIP, outs: inputs });",
      "exports.read = async (id, props) => ({ id, props });",
      "exports.update = async (id, olds, news) => ({ outs: news });",
      "exports.delete = async () => {};",
      "",
    ].join("\n"),
  );
  return { proj, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
