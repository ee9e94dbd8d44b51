import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { BgpPeer } from "../../provider";

describe("BgpPeer construction", () => {
  it("refuses key material in plain-text stack config before anything registers", () => {
    // As the language host sets it: the config, and the keys that are secrets (none here).
    pulumi.runtime.setAllConfig({ "calico:etcdKey": "-----BEGIN PRIVATE KEY-----" }, []);
    try {
      assert.throws(
        () => new BgpPeer("p", { peerIP: "10.0.0.1", asNumber: 1 }),
        (e: Error) => {
          assert.equal(
            e.message,
            "calico:etcdKey is set in plain text: Pulumi would store it unencrypted in state. Set it again as a secret: pulumi config set --secret calico:etcdKey <value>.",
          );
          assert.ok(!e.message.includes("BEGIN PRIVATE KEY"));
          return true;
        },
      );
    } finally {
      pulumi.runtime.setAllConfig({}, []);
    }
  });
  it("refuses the import resource option before the engine sees it, saying what to do instead", () => {
    // Thrown before CustomResource's constructor runs, so no engine is needed to see it.
    assert.throws(
      () => new BgpPeer("legacy", { name: "rack001-tor", node: "rack1-host1", peerIP: "192.168.1.1", asNumber: 63400 }, { import: "rack001-tor" }),
      (e: Error) => {
        assert.match(e.message, /^BgpPeer "legacy": the `import` resource option cannot work for BgpPeer, a Pulumi dynamic resource \(pulumi\/pulumi#16175\)/);
        assert.match(e.message, /and neither can `pulumi import`/);
        assert.match(e.message, /peer "rack001-tor" under management, remove `import`/);
        assert.match(
          e.message,
          /set `adopt: true`: the next `pulumi up` takes it over, keeps its uid and creationTimestamp, and writes only if the spec differs\.$/,
        );
        return true;
      },
    );
  });
});
