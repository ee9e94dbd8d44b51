import * as fs from "node:fs";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
  /** User + system CPU time so far. */
  cpuSeconds: number;
  /** Peak resident set size (VmHWM), in kB. */
  peakRssKb: number;
}

// USER_HZ: /proc/<pid>/stat counts CPU time in these ticks on Linux.
const HZ = 100;

/** Every process we can read in /proc; one that ends while we look is left out. */
export function processes(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      // Fields after the command name: ppid is the 2nd, utime and stime the 12th and 13th.
      const f = fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
      const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"));
      out.push({
        pid: Number(p),
        ppid: Number(f[1]),
        argv: fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0"),
        cpuSeconds: (Number(f[11]) + Number(f[12])) / HZ,
        peakRssKb: Number(hwm?.[1] ?? 0),
      });
    } catch {
      // It ended while we looked.
    }
  }
  return out;
}

/**
 * `roots` with every process below them. Pulumi runs each plugin in a process group of its own, so
 * killing a CLI or its group leaves its provider host running, orphaned, for good; a test that
 * kills an up kills this tree. Taken before the kill: once the CLI is gone, its children's parent
 * is no longer it.
 */
export function treeOf(roots: number[], procs: ProcessInfo[] = processes()): number[] {
  const tree = [...roots];
  for (let i = 0; i < tree.length; i++) for (const p of procs) if (p.ppid === tree[i]) tree.push(p.pid);
  return tree;
}

/** Each process this test process started whose argv holds every one of `words`, with everything below it. */
export function startedTree(...words: string[]): number[] {
  const procs = processes();
  return treeOf(
    procs.filter((p) => p.ppid === process.pid && words.every((w) => p.argv.includes(w))).map((p) => p.pid),
    procs,
  );
}

/** SIGKILL each of `pids`; how many were still there to kill. */
export function killAll(pids: number[]): number {
  let killed = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
      killed++;
    } catch {
      // Already gone.
    }
  }
  return killed;
}
