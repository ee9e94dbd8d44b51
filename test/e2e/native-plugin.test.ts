import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PEER_PREFIX, peerKey } from "../../provider/model/keys";
import { startEtcd, type TestEtcd } from "../harness/etcd";
import { packedTarball, type UserProject, userProject } from "../harness/project";
import { ROOT } from "../harness/pulumi";

// Shared with `npm run plugin:archive`.
const { buildArchive } = require("../../../scripts/plugin-archive.js") as { buildArchive(outDir: string, tarball?: string): string };

/**
 * The install story of a user with no Node.js project: the archive `npm run plugin:archive`
 * builds, installed with `pulumi plugin install resource calico <version> --file`, then a Pulumi
 * YAML program that names no plugin path. Against an etcd with authentication on, its password
 * set with --secret: it never reaches the state in plain text.
 */
const PASSWORD = "Rt-9f2c1e-secret";
let etcd: TestEtcd;
let work: string;
let home: string;
let p: UserProject;
const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

before(async () => {
  etcd = await startEtcd({ rootPassword: PASSWORD });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bgppeer-plugin-"));
  home = path.join(work, "pulumi-home");
});
after(async () => {
  await etcd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the plugin archive, installed with pulumi plugin install", { concurrency: false }, () => {
  it("installs from the archive into the plugin cache", () => {
    const archive = buildArchive(work, packedTarball());
    assert.match(path.basename(archive), new RegExp(`^pulumi-resource-calico-v${version.replace(/\./g, "\\.")}-linux-amd64\\.tar\\.gz$`));
    p = userProject(work, "plugin-user", { dependencies: {}, files: {} });
    p.write(
      "Pulumi.yaml",
      "name: plugin-user\nruntime: yaml\nresources:\n  tor:\n    type: calico:index:BgpPeer\n    properties: { node: rack1-host1, peerIP: 10.1.0.1, asNumber: 64512 }\n",
    );
    p.ok(["plugin", "install", "resource", "calico", version, "--file", archive], { PULUMI_HOME: home });
    assert.ok(fs.existsSync(path.join(home, "plugins", `resource-calico-v${version}`, "pulumi-resource-calico")));
  });

  it("a YAML program that names no plugin path runs up with a secret password, and the state holds no plaintext", async () => {
    const env = { PULUMI_HOME: home };
    p.ok(["stack", "init", "dev"], env);
    p.ok(["config", "set", "calico:etcdEndpoints", etcd.endpoint], env);
    p.ok(["config", "set", "calico:etcdUsername", "root"], env);
    p.ok(["config", "set", "--secret", "calico:etcdPassword", PASSWORD], env);
    assert.match(p.ok(["up", "--yes"], env), /\+ 2 created/);
    assert.ok(await etcd.admin.get(peerKey("tor")).string());
    const exported = p.ok(["stack", "export"], env);
    assert.ok(!exported.includes(PASSWORD), "stack export has no plaintext password");
    const stateFiles = fs.readdirSync(path.join(p.dir, ".pulumi-state"), { recursive: true }) as string[];
    for (const f of stateFiles) {
      const file = path.join(p.dir, ".pulumi-state", f);
      if (fs.statSync(file).isFile()) assert.ok(!fs.readFileSync(file).includes(PASSWORD), `${f} has no plaintext password`);
    }
    const provider = JSON.parse(exported).deployment.resources.find((r: any) => r.type === "pulumi:providers:calico");
    assert.ok(provider, "the default provider of calico is in state");
    assert.equal(provider.inputs.etcdPassword?.["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "recorded as a secret");
    p.ok(["destroy", "--yes"], env);
    assert.deepEqual(await etcd.admin.getAll().prefix(PEER_PREFIX).keys(), []);
  });
});
