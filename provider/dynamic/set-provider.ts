import type * as dynamic from "@pulumi/pulumi/dynamic";
import { setChanges } from "../core/changes";
import { plain } from "../core/outputs";
import { previewNew } from "../core/preview";
import { createSet, deleteSet, peerInputs, readSet, type SetInputs, type SetOutputs, updateSet } from "../core/set";
import { checkSet } from "../core/set-inputs";
import { containsUnknown, UNKNOWN } from "../model/spec";
import { impl as peerImpl } from "./peer-provider";

/**
 * The Pulumi adapter of BgpPeerSet (and RackPeers, which is a BgpPeerSet): check runs BgpPeer's
 * rules on every peer and keys the peers by Calico name, so the engine's diff of the set's inputs
 * reads `peers["<name>"].<field>`. Loaded by set-shim.ts, as peer-provider.ts is by shim.ts.
 */

type Json = Record<string, unknown>;

// The longest change list diff prints for one set: the engine's own diff shows the rest.
const MAX_CHANGE_LINES = 40;

export const impl = {
  configure: peerImpl.configure,

  async check(olds: Json, news: Json): Promise<dynamic.CheckResult> {
    const { inputs, failures } = checkSet(news);
    if (!inputs) return { failures };
    if (inputs.peers === (UNKNOWN as unknown) || JSON.stringify(inputs).includes(UNKNOWN)) return { inputs };
    // Peers new to the set: the decision the up will make for each, on what the datastore holds now.
    const before = (olds?.peers ?? {}) as Json;
    const added = Object.keys(inputs.peers).filter((n) => !(n in before));
    const found = await previewNew(
      added.map((n) => peerInputs(n, inputs.peers[n], undefined, inputs.__owner)),
      { owner: inputs.__owner, adopt: inputs.adopt, set: inputs.name },
    );
    // A refusal of the set as a whole, worded as the up would word it.
    if ("refusal" in found) return { failures: [{ property: "", reason: found.refusal.message }] };
    for (const n of found.notes) console.error(n);
    return { inputs };
  },

  async diff(_id: string, olds: SetOutputs, news: SetInputs): Promise<dynamic.DiffResult> {
    if (containsUnknown(news.peers)) return { changes: true };
    const changes = setChanges(olds.peers ?? {}, news.peers ?? {});
    // The dynamic provider protocol has no detailed diff, so the engine shows the whole peers map;
    // this summary, which the CLI prints under the set, names just what changes.
    if (changes.length) {
      const shown = changes.slice(0, MAX_CHANGE_LINES);
      if (changes.length > shown.length) shown.push(`… and ${changes.length - shown.length} more changes`);
      console.error(`BgpPeerSet "${news.name}": ${changes.length} change(s):\n  ${shown.join("\n  ")}`);
    }
    return { changes: changes.length > 0, replaces: [], deleteBeforeReplace: false };
  },

  async create(news: SetInputs): Promise<dynamic.CreateResult> {
    const outs = await createSet(news);
    return { id: outs.name, outs };
  },

  async read(id: string, props?: SetOutputs): Promise<dynamic.ReadResult> {
    if (!props?.peers) {
      throw new Error(`BgpPeerSet "${id}": there is no state to read it from; a set can only be read once an up has created or adopted it.`);
    }
    const outs = await readSet(props);
    if (!outs) return { id: "" };
    const { stored, ...inputs } = outs;
    return { id, props: outs, inputs: plain(inputs) };
  },

  async update(_id: string, olds: SetOutputs, news: SetInputs): Promise<dynamic.UpdateResult> {
    return { outs: await updateSet(olds, news) };
  },

  async delete(_id: string, props: SetOutputs): Promise<void> {
    await deleteSet(props);
  },
};

export type SetImpl = typeof impl;
export { checkSet };
