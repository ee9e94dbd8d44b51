// Starting a single-member etcd on free loopback ports: shared by the demo (scripts/demo.js) and the
// test harness (test/harness/etcd.ts), which adds TLS, auth and metrics through `extraArgs`.
"use strict";
const { spawn } = require("node:child_process");
const net = require("node:net");
const { Etcd3 } = require("etcd3");
const tools = require("./tools");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = srv.address().port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns etcd with its data in `dataDir`, waits until it answers through a client built from
 * `clientOptions` (TLS credentials, when serving https), and returns it with a stop function.
 */
async function spawnEtcd({ name, dataDir, scheme = "http", extraArgs = [], clientOptions = {}, binary }) {
  const etcd = binary ?? tools.ensureEtcd();
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const proc = spawn(
    etcd,
    [
      "--name",
      name,
      "--data-dir",
      dataDir,
      "--listen-client-urls",
      endpoint,
      "--advertise-client-urls",
      endpoint,
      "--listen-peer-urls",
      peerUrl,
      "--initial-advertise-peer-urls",
      peerUrl,
      "--initial-cluster",
      `${name}=${peerUrl}`,
      "--log-level",
      "error",
      "--logger",
      "zap",
      ...extraArgs,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d.toString()));
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  const probe = new Etcd3({ hosts: endpoint, ...clientOptions, defaultCallOptions: () => ({ deadline: Date.now() + 2000 }) });
  const deadline = Date.now() + 20_000;
  try {
    for (;;) {
      try {
        await probe.get("/health-probe").string();
        break;
      } catch (e) {
        if (proc.exitCode !== null || Date.now() > deadline) {
          proc.kill("SIGKILL");
          throw new Error(`etcd did not start on ${endpoint}: ${e.message}\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    probe.close();
  }
  async function stop() {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  }
  return { endpoint, pid: proc.pid, stop };
}

module.exports = { freePort, spawnEtcd };
