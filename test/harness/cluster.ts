import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Etcd3 } from "etcd3";
import { freePort } from "./etcd";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const tools = require("../../../scripts/tools.js") as { ensureEtcd(): string };

export interface EtcdCluster {
  /** Client URLs, one per member, as a user lists them (ETCD_ENDPOINTS). */
  endpoints: string[];
  /** A client over every member, for arranging and inspecting. */
  admin: Etcd3;
  /** The index of the current leader. */
  leader(): Promise<number>;
  /** SIGKILL one member, as a crash would. */
  kill(i: number): void;
  /** Start a killed member again, with its data. */
  restart(i: number): void;
  stop(): Promise<void>;
}

/** A cluster of `size` etcd members on loopback, with temporary data directories. Fails loudly without etcd. */
export async function startEtcdCluster(size: number): Promise<EtcdCluster> {
  const etcd = tools.ensureEtcd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-cluster-"));
  const members: Array<{ name: string; client: string; peer: string; proc?: ChildProcess }> = [];
  for (let i = 0; i < size; i++) members.push({ name: `m${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  const initial = members.map((m) => `${m.name}=${m.peer}`).join(",");
  const start = (i: number, state: "new" | "existing") => {
    const m = members[i];
    // biome-ignore format: one flag and its value per line
    m.proc = spawn(etcd, [
      "--name", m.name, "--data-dir", path.join(dir, m.name),
      "--listen-client-urls", m.client, "--advertise-client-urls", m.client,
      "--listen-peer-urls", m.peer, "--initial-advertise-peer-urls", m.peer,
      "--initial-cluster", initial, "--initial-cluster-state", state, "--initial-cluster-token", path.basename(dir),
      "--log-level", "error", "--logger", "zap",
    ], { stdio: "ignore" });
  };
  for (let i = 0; i < members.length; i++) start(i, "new");
  const endpoints = members.map((m) => m.client);
  const admin = new Etcd3({ hosts: endpoints, defaultCallOptions: () => ({ deadline: Date.now() + 3000 }) });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await admin.put("/cluster-probe").value("up");
      break;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`the etcd cluster did not form: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    endpoints,
    admin,
    async leader() {
      for (let i = 0; i < members.length; i++) {
        if (members[i].proc?.exitCode !== null || members[i].proc?.signalCode) continue;
        const c = new Etcd3({ hosts: members[i].client, defaultCallOptions: () => ({ deadline: Date.now() + 2000 }) });
        try {
          const st = await c.maintenance.status();
          if (st.leader === st.header.member_id) return i;
        } catch {
          // a member that does not answer is not the leader
        } finally {
          c.close();
        }
      }
      throw new Error("no member reports itself leader");
    },
    kill(i) {
      members[i].proc?.kill("SIGKILL");
    },
    restart(i) {
      start(i, "existing");
    },
    async stop() {
      admin.close();
      await Promise.all(
        members.map(
          (m) =>
            new Promise<void>((resolve) => {
              if (!m.proc || m.proc.exitCode !== null || m.proc.signalCode) return resolve();
              m.proc.once("exit", () => resolve());
              m.proc.kill("SIGKILL");
            }),
        ),
      );
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
