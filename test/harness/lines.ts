import * as path from "node:path";

/** One line of the supported matrix (scripts/matrix.js). */
export interface Line {
  id: string;
  node: number;
  sdk: string;
  cli: string;
  suite: "all" | "project";
}

// Plain JS shared with scripts/test.js, which makes every line's tools present before tests start.
const matrix = require("../../../scripts/matrix.js") as { LINES: Line[]; TYPES_NODE: Record<number, string> };
const tools = require("../../../scripts/tools.js") as {
  ensurePulumi(version: string): string;
  ensureNode(major: number): string;
  NODE_VERSIONS: Record<string, string>;
};

export const LINES = matrix.LINES;
/** The @types/node version a project on each Node.js major installs. */
export const TYPES_NODE = matrix.TYPES_NODE;
export const NODE_VERSIONS = tools.NODE_VERSIONS;

export function line(id: string): Line {
  const l = LINES.find((x) => x.id === id);
  if (!l) throw new Error(`no line ${id} in scripts/matrix.js`);
  return l;
}

/**
 * The directories a line puts first on PATH: its Pulumi CLI (with the language host and the
 * dynamic provider plugin beside it) and its node, so the CLI, the language host, the provider
 * host and npm all run on the line's Node.js. Cached tools only: scripts/test.js built them.
 */
export function linePath(l: Line): string[] {
  return [tools.ensurePulumi(l.cli), tools.ensureNode(l.node)];
}

/** `env` with a line's directories first on PATH. */
export function lineEnv(l: Line, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: [...linePath(l), env.PATH].join(path.delimiter) };
}
