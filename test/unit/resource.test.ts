import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BgpPeer } from "../../provider";

describe("BgpPeer construction", () => {
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
