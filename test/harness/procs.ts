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
