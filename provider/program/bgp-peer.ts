import type * as pulumi from "@pulumi/pulumi";
import { type PeerSpec, type SecretKeyRef, SPEC_FIELDS, type SpecInputs } from "../model/fields";
import { OWNER_KEY, PEER_PREFIX } from "../model/keys";
import { usesSeedTerms } from "../model/seed";
import { warnUntestedRuntime } from "./compat";
import { checkConnectionOnce, withConnectionChecked } from "./connection-check";
import { pausePromiseStacks } from "./promise-stacks";
import { providerText } from "./provider-text";
import { CustomResource, getConfig, getProject, getStack, isConfigSecret } from "./sdk";

type In<T> = pulumi.Input<T>;
/** A value as Pulumi takes it: an Input, and so is every element and member inside. */
type InputOf<T> = [T] extends [(infer E)[]] ? In<In<E>[]> : [T] extends [object] ? In<{ [K in keyof T]: InputOf<T[K]> }> : In<T>;

/**
 * A key of a Kubernetes Secret in calico-node's namespace that holds the BGP password (`name`, `key`,
 * and `optional`); only the reference is stored, never the password.
 *
 * @example
 * ```ts
 * new BgpPeer("rr", { peerIP: "10.0.0.10", asNumber: 64512, password: { secretKeyRef: { name: "bgp-secrets", key: "rr" } } });
 * ```
 */
export type SecretKeyRefArgs = { [K in keyof SecretKeyRef]: In<SecretKeyRef[K]> };

/**
 * The BGPPeerSpec inputs, one per field of the field table (provider/model/fields.ts), with its documentation.
 *
 * @example
 * ```ts
 * new BgpPeer("rr", { peerIP: "10.0.0.10", asNumber: 64512, keepOriginalNextHop: true, maxRestartTime: "2m" });
 * ```
 */
export type BgpPeerSpecArgs = { [K in keyof SpecInputs]?: InputOf<NonNullable<SpecInputs[K]>> };

/**
 * The spec outputs: set (normalized, as stored) only for the fields given in args.
 *
 * @example
 * ```ts
 * const rr = new BgpPeer("rr", { peerIP: "10.0.0.10", asNumber: "1.10" });
 * export const asNumber = rr.asNumber; // 65546: dotted notation, as Calico stores it
 * ```
 */
export type BgpPeerSpecOutputs = { readonly [K in keyof PeerSpec]?: pulumi.Output<NonNullable<PeerSpec[K]>> };

/**
 * Inputs of a BgpPeer: the Calico name, the seed model's terms, the spec, managed metadata and adopt.
 *
 * @example The seed's v1 terms (the name is calico-upgrade's, "rack1-host1.192-168-1-1"), and v3 terms
 * ```ts
 * const v1: BgpPeerArgs = { scope: "node", node: "rack1-host1", peerIP: "192.168.1.1", asNumber: "1.10" };
 * const v3: BgpPeerArgs = { name: "rr-v6", peerIP: "[2001:db8::10]:179", asNumber: 64512, labels: { role: "rr" } };
 * ```
 */
export interface BgpPeerArgs extends BgpPeerSpecArgs {
  /** The Calico name, which is the etcd key. Defaults: calico-upgrade's name in the seed model, else the resource name. */
  name?: In<string>;
  /** Seed (v1) model: "global" or "node". Inferred from node when omitted. */
  scope?: In<"global" | "node">;
  /** Seed (v1) spelling of node. In seed terms a node name is converted as `calicoctl convert` does ("rack1__host3" → "rack1-host3"). */
  hostname?: In<string>;
  /** Labels this resource manages (Kubernetes rules); labels set by others on the object are left alone. */
  labels?: In<Record<string, In<string>>>;
  /** Annotations this resource manages (Kubernetes rules, 256 KiB in all); others are left alone. */
  annotations?: In<Record<string, In<string>>>;
  /**
   * Take over a peer that already exists under this name instead of failing. Default false. A peer
   * that another Pulumi stack manages (its pulumi-calico-bgppeer/stack annotation) is taken only
   * with "force", which marks it as this stack's.
   */
  adopt?: In<boolean | "force">;
}

/**
 * The computed outputs, declared so that they exist on every BgpPeer. Spec fields are outputs only
 * when given in args: each declared property costs the Pulumi SDK about 0.3 ms per resource in the
 * program (measured with `npm run bench`), which at a thousand peers is seconds of every preview.
 */
const OUTPUTS = ["uid", "creationTimestamp", "resourceVersion", "scope"] as const;

const keyOutputs = new WeakMap<BgpPeer, pulumi.Output<string>>();

/** The type token pulumi.dynamic.Resource would give: the engine routes it to Node's dynamic provider host. */
const TYPE = "pulumi-nodejs:dynamic/calico:BgpPeer";

// The spec outputs, from the field table, merged into the class's type.
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface only declares the spec outputs, which the engine sets.
export interface BgpPeer extends BgpPeerSpecOutputs {}
/**
 * A Calico BGPPeer in Calico's etcd v3 datastore or the Kubernetes API datastore (as the connection
 * settings say): a dynamic resource.
 *
 * @example A ToR peer of one node, and a route reflector every node peers with:
 * ```ts
 * import { BgpPeer } from "pulumi-calico-bgppeer";
 *
 * new BgpPeer("rack1-host1-tor", { node: "rack1-host1", peerIP: "10.0.1.1", asNumber: 65001 });
 * new BgpPeer("rr", { peerIP: "2001:db8::10", asNumber: "1.10", password: { secretKeyRef: { name: "bgp", key: "rr" } } });
 * ```
 *
 * @example A peer calicoctl made, taken over without a write (declared as it is, with adopt)
 * ```ts
 * new BgpPeer("edge", { name: "edge", node: "edge-1", peerIP: "198.51.100.1", asNumber: 64520, adopt: true });
 * ```
 *
 * It extends CustomResource directly and does what pulumi.dynamic.Resource's constructor does
 * (set `__provider`, use the dynamic type token), because the SDK records as a resource's source
 * position the caller of the constructor that extends CustomResource. For a subclass of
 * dynamic.Resource that caller is the subclass's own constructor: every peer's sourcePosition and
 * stackTrace named this file instead of the user's program, which pointed Pulumi at the wrong line
 * and cost 183 bytes of state per peer.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface only declares the spec outputs, which the engine sets.
export class BgpPeer extends CustomResource {
  // Spec fields (BgpPeerSpecOutputs, merged in above), labels, annotations and adopt are set
  // (normalized, as stored) only when given in args.
  /** The Calico name (metadata.name), also the resource's id. */
  declare readonly name: pulumi.Output<string>;
  /** Only the labels this resource manages; others on the object are left alone. */
  declare readonly labels?: pulumi.Output<Record<string, string>>;
  /** Only the annotations this resource manages; others on the object are left alone. */
  declare readonly annotations?: pulumi.Output<Record<string, string>>;
  /** True when the peer was (or may be) taken over from another writer. */
  declare readonly adopt?: pulumi.Output<boolean | "force">;
  /** metadata.uid: set at create (kept when adopted), as calicoctl sets it. */
  declare readonly uid: pulumi.Output<string>;
  /** metadata.creationTimestamp (RFC 3339, UTC): set at create, kept when adopted. */
  declare readonly creationTimestamp: pulumi.Output<string>;
  /** etcd's mod revision of the key (on Kubernetes, the object's resourceVersion), as Calico reports resourceVersion. */
  declare readonly resourceVersion: pulumi.Output<string>;
  /** "node" or "global"; absent for a nodeSelector peer. */
  declare readonly scope: pulumi.Output<"node" | "global" | undefined>;

  constructor(name: string, args: BgpPeerArgs, opts?: pulumi.CustomResourceOptions) {
    // The engine's import sends the provider no state, so a dynamic provider cannot serve it
    // (pulumi/pulumi#16175, #3550): it would fail later with "Cannot read properties of undefined".
    if (opts?.import !== undefined) throw new Error(importRefusal(name, opts.import));
    refusePlaintextSecrets();
    warnUntestedRuntime();
    checkConnectionOnce();
    const props: Record<string, unknown> = {};
    for (const k of OUTPUTS) props[k] = undefined;
    // A peer read with get (an id given) has all its spec as outputs: nothing in args says which.
    if (opts?.id !== undefined) for (const k of [...SPEC_FIELDS, "labels", "annotations"]) props[k] = undefined;
    Object.assign(props, args);
    // Without a name, a seed-model peer gets calico-upgrade's name (derived in check); any other the resource name.
    props.name = args.name ?? (usesSeedTerms(args) ? undefined : name);
    props.__provider = providerText("shim");
    props[OWNER_KEY] = owner();
    const restore = pausePromiseStacks();
    try {
      super(TYPE, name, props, withConnectionChecked(opts));
    } finally {
      restore();
    }
  }

  /**
   * An existing peer read into the program without managing it: the engine reads it by its Calico
   * name at every preview and up, and never writes or deletes it. Its outputs are the peer's spec.
   */
  static get(name: string, calicoName: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): BgpPeer {
    return new BgpPeer(name, { name: calicoName }, { ...opts, id: calicoName });
  }

  /** Whether `obj` is a BgpPeer, also across copies of this package in one program. */
  static override isInstance(obj: unknown): obj is BgpPeer {
    return hasType(obj, TYPE);
  }

  /**
   * The etcd key: /calico/resources/v3/projectcalico.org/bgppeers/<name> (on the Kubernetes datastore, the
   * peer's CR has this name instead of a key). Derived in the program,
   * not stored (the engine rewrites every output in state at each checkpoint), and only when read.
   */
  get key(): pulumi.Output<string> {
    let k = keyOutputs.get(this);
    if (!k) {
      k = this.name.apply((n) => PEER_PREFIX + n);
      keyOutputs.set(this, k);
    }
    return k;
  }
}

/** Whether `obj` is a resource of the type token `type`: by the token, so that it holds across copies of this package. */
export function hasType(obj: unknown, type: string): boolean {
  return typeof obj === "object" && obj !== null && (obj as { __pulumiType?: unknown }).__pulumiType === type;
}

/** The declaring stack, "<project>/<stack>": it fixes the uid a create gives a peer (model/uid.ts). */
export function owner(): string {
  return `${getProject()}/${getStack()}`;
}

/** Stack config that holds key material, which Pulumi must keep encrypted. */
export const SECRET_CONFIG = ["calico:etcdPassword", "calico:etcdKey", "calico:k8sAPIToken", "calico:kubeconfigInline"];
let secretsChecked = false;

/**
 * The engine records stack config in state as the default provider's inputs, in plain text unless
 * the value was set with --secret. Refused here, before the first BgpPeer registers (and with it
 * that provider), so no key material reaches state or its backups.
 */
export function refusePlaintextSecrets(): void {
  if (secretsChecked) return;
  const plain = SECRET_CONFIG.filter((k) => getConfig(k) !== undefined && isConfigSecret(k) === false);
  if (plain.length) {
    throw new Error(
      `${plain.join(" and ")} ${plain.length > 1 ? "are" : "is"} set in plain text: Pulumi would store ${plain.length > 1 ? "them" : "it"} unencrypted in state. Set ${plain.length > 1 ? "them" : "it"} again as a secret: ${plain.map((k) => `pulumi config set --secret ${k} <value>`).join(", ")}.`,
    );
  }
  secretsChecked = true;
}

/** What to do instead of Pulumi's import, which cannot work for a dynamic resource. */
export function importRefusal(name: string, id: pulumi.Input<string>): string {
  const shown = typeof id === "string" ? JSON.stringify(id) : "the given id";
  return (
    `BgpPeer "${name}": the \`import\` resource option cannot work for BgpPeer, a Pulumi dynamic resource (pulumi/pulumi#16175), ` +
    `and neither can \`pulumi import\`. To bring the existing peer ${shown} under management, remove \`import\`, declare the peer ` +
    `as it is in the datastore (\`calicoctl get bgppeer <name> -o yaml\`, or \`calico-bgppeer import <name>\`) with \`name\` set to its Calico name, and set \`adopt: true\`: ` +
    `the next \`pulumi up\` takes it over, keeps its uid and creationTimestamp, and writes only if the spec differs.`
  );
}
