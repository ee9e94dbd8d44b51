import type * as dynamic from "@pulumi/pulumi/dynamic";
import { inputsOf, managedBy, type PeerOutputs, plain, sortedJson } from "../core/outputs";
import { createObject, deleteObject, readObject, updateObject, withOwner } from "../core/peer";
import { previewNew } from "../core/preview";
import { configuredVersion, setStackConfig } from "../core/session";
import { providerConfig } from "../datastore/config";
import { checkInputs, type PeerInputs, SPEC_FIELDS, specEqual, UNKNOWN } from "../model/spec";

export type { PeerOutputs } from "../core/outputs";

/**
 * BgpPeer's dynamic provider: the core (core/) behind Pulumi's dynamic provider interface. Only the
 * shim (shim.ts) is serialized into Pulumi state; it loads this module from the installed package
 * once per provider process, so every operation, including delete and refresh of old state, runs
 * the code that is installed now.
 */

type Json = Record<string, unknown>;

export const impl = {
  async configure(req: dynamic.ConfigureRequest): Promise<void> {
    setStackConfig(providerConfig((key) => req.config.get(key)));
  },

  async check(olds: Json, news: Json): Promise<dynamic.CheckResult> {
    const v = configuredVersion();
    const { inputs, failures } = checkInputs(news, v && { calicoVersion: v.version, versionSource: v.source });
    if (failures.length) return { failures: failures.map((f) => ({ property: f.property, reason: `${f.property}: ${f.reason}` })) };
    // A new peer (no old inputs): say at preview what create would meet in the datastore.
    const peer = inputs as unknown as PeerInputs;
    if (Object.keys(olds ?? {}).length === 0 && !JSON.stringify(peer).includes(UNKNOWN)) {
      const found = await previewNew([peer], { owner: peer.__owner, adopt: peer.adopt });
      // Refusals of the peer as a whole, not of a property: the engine then prints the reason as it
      // is, not as "property adopt value {<nil>} has a problem" (adopt unset) or "property name
      // value ..." (a name the program may never have written: seed terms derive it).
      if ("refusal" in found) return { failures: [{ property: "", reason: found.refusal.message }] };
      // The dynamic provider host passes what a provider writes to stderr on to the CLI's output.
      for (const n of found.notes) console.error(n);
    }
    return { inputs: plain(inputs) };
  },

  async diff(_id: string, olds: PeerOutputs, news: Json): Promise<dynamic.DiffResult> {
    const replaces: string[] = [];
    if (news.name === UNKNOWN || news.name !== olds.name) replaces.push("name");
    let changed = replaces.length > 0;
    for (const f of SPEC_FIELDS) if (!specEqual(f, olds[f], news[f])) changed = true;
    if (sortedJson(olds.labels) !== sortedJson(news.labels as Record<string, string>)) changed = true;
    if (sortedJson(olds.annotations) !== sortedJson(news.annotations as Record<string, string>)) changed = true;
    return { changes: changed, replaces, deleteBeforeReplace: false };
  },

  async create(news: Json): Promise<dynamic.CreateResult> {
    const outs = await createObject(news as unknown as PeerOutputs);
    return { id: outs.name, outs: withOwner(outs, news) };
  },

  async read(id: string, props?: PeerOutputs): Promise<dynamic.ReadResult> {
    const found = await readObject(props?.name ?? id, managedBy(props));
    if (!found) return { id: "" };
    const outs = withOwner(found, props);
    return { id: outs.name, props: outs, inputs: inputsOf(outs) };
  },

  async update(_id: string, olds: PeerOutputs, news: Json): Promise<dynamic.UpdateResult> {
    return { outs: withOwner(await updateObject(olds, news as unknown as PeerOutputs), news) };
  },

  async delete(_id: string, props: PeerOutputs): Promise<void> {
    await deleteObject(props);
  },
};

export type Impl = typeof impl;
