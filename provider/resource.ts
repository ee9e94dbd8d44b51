import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as shim from "./shim";
import { PEER_PREFIX } from "./model/keys";
import { usesSeedTerms } from "./model/seed";

type In<T> = pulumi.Input<T>;

export interface SecretKeyRefArgs {
  name: In<string>;
  key: In<string>;
  optional?: In<boolean>;
}

/** Inputs of a BgpPeer. See the README for every field's rule. */
export interface BgpPeerArgs {
  /** The Calico name, which is the etcd key. Defaults: calico-upgrade's name in the seed model, else the resource name. */
  name?: In<string>;
  /** Seed (v1) model: "global" or "node". Inferred from node when omitted. */
  scope?: In<"global" | "node">;
  /** Seed (v1) spelling of node. In seed terms a node name is converted as `calicoctl convert` does ("rack1__host3" → "rack1-host3"). */
  hostname?: In<string>;
  node?: In<string>;
  nodeSelector?: In<string>;
  /**
   * IPv4 or IPv6, optionally with a port: "a.b.c.d:port" or "[v6]:port". Stored as typed, as
   * calicoctl stores it (in seed terms, as Go prints the IP); two spellings of one address never diff.
   */
  peerIP?: In<string>;
  /** A number, a decimal string or dotted "hi.lo"; 1 to 4294967295. */
  asNumber?: In<number | string>;
  localASNumber?: In<number | string>;
  peerSelector?: In<string>;
  keepOriginalNextHop?: In<boolean>;
  nextHopMode?: In<"Auto" | "Self" | "Keep">;
  password?: In<{ secretKeyRef: In<SecretKeyRefArgs> }>;
  sourceAddress?: In<"UseNodeIP" | "None">;
  /** A Go duration, e.g. "120s" or "2m0s". */
  maxRestartTime?: In<string>;
  keepaliveTime?: In<string>;
  numAllowedLocalASNumbers?: In<number>;
  ttlSecurity?: In<number>;
  reachableBy?: In<string>;
  filters?: In<In<string>[]>;
  localWorkloadSelector?: In<string>;
  reversePeering?: In<"Auto" | "Manual">;
  labels?: In<Record<string, In<string>>>;
  annotations?: In<Record<string, In<string>>>;
  /** Take over a peer that already exists under this name instead of failing. Default false. */
  adopt?: In<boolean>;
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

/**
 * A Calico BGPPeer in the etcd v3 datastore: a dynamic resource.
 *
 * It extends CustomResource directly and does what pulumi.dynamic.Resource's constructor does
 * (set `__provider`, use the dynamic type token), because the SDK records as a resource's source
 * position the caller of the constructor that extends CustomResource. For a subclass of
 * dynamic.Resource that caller is the subclass's own constructor: every peer's sourcePosition and
 * stackTrace named this file instead of the user's program, which pointed Pulumi at the wrong line
 * and cost 183 bytes of state per peer.
 */
export class BgpPeer extends pulumi.CustomResource {
  // Spec fields, labels, annotations and adopt are set (normalized, as stored) only when given in args.
  /** The Calico name (metadata.name), also the resource's id. */
  declare readonly name: pulumi.Output<string>;
  declare readonly node?: pulumi.Output<string>;
  declare readonly nodeSelector?: pulumi.Output<string>;
  /** Canonical, whatever spelling etcd holds: Go's text of the address (lower-case, compressed IPv6); port kept. */
  declare readonly peerIP?: pulumi.Output<string>;
  /** Always a number. */
  declare readonly asNumber?: pulumi.Output<number>;
  declare readonly localASNumber?: pulumi.Output<number>;
  declare readonly peerSelector?: pulumi.Output<string>;
  declare readonly keepOriginalNextHop?: pulumi.Output<boolean>;
  declare readonly nextHopMode?: pulumi.Output<string>;
  declare readonly password?: pulumi.Output<{ secretKeyRef: { name: string; key: string; optional?: boolean } }>;
  declare readonly sourceAddress?: pulumi.Output<string>;
  /** Canonical Go duration, e.g. "2m0s". */
  declare readonly maxRestartTime?: pulumi.Output<string>;
  declare readonly keepaliveTime?: pulumi.Output<string>;
  declare readonly numAllowedLocalASNumbers?: pulumi.Output<number>;
  declare readonly ttlSecurity?: pulumi.Output<number>;
  declare readonly reachableBy?: pulumi.Output<string>;
  declare readonly filters?: pulumi.Output<string[]>;
  declare readonly localWorkloadSelector?: pulumi.Output<string>;
  declare readonly reversePeering?: pulumi.Output<string>;
  /** Only the labels this resource manages; others on the object are left alone. */
  declare readonly labels?: pulumi.Output<Record<string, string>>;
  declare readonly annotations?: pulumi.Output<Record<string, string>>;
  declare readonly adopt?: pulumi.Output<boolean>;
  declare readonly uid: pulumi.Output<string>;
  declare readonly creationTimestamp: pulumi.Output<string>;
  /** etcd's mod revision of the key, as Calico reports resourceVersion. */
  declare readonly resourceVersion: pulumi.Output<string>;
  /** "node" or "global"; absent for a nodeSelector peer. */
  declare readonly scope: pulumi.Output<"node" | "global" | undefined>;

  constructor(name: string, args: BgpPeerArgs, opts?: pulumi.CustomResourceOptions) {
    // The engine's import sends the provider no state, so a dynamic provider cannot serve it
    // (pulumi/pulumi#16175, #3550): it would fail later with "Cannot read properties of undefined".
    if (opts?.import !== undefined) throw new Error(importRefusal(name, opts.import));
    const props: Record<string, unknown> = {};
    for (const k of OUTPUTS) props[k] = undefined;
    Object.assign(props, args);
    // Without a name, a seed-model peer gets calico-upgrade's name (derived in check); any other the resource name.
    props.name = args.name ?? (usesSeedTerms(args) ? undefined : name);
    props.__provider = providerText();
    super(TYPE, name, props, opts);
  }

  /**
   * The etcd key: /calico/resources/v3/projectcalico.org/bgppeers/<name>. Derived in the program,
   * not stored (the engine rewrites every output in state at each checkpoint), and only when read.
   */
  get key(): pulumi.Output<string> {
    let k = keyOutputs.get(this);
    if (!k) keyOutputs.set(this, (k = this.name.apply((n) => PEER_PREFIX + n)));
    return k;
  }
}

/** What to do instead of Pulumi's import, which cannot work for a dynamic resource. */
export function importRefusal(name: string, id: pulumi.Input<string>): string {
  const shown = typeof id === "string" ? JSON.stringify(id) : "the given id";
  return (
    `BgpPeer "${name}": the \`import\` resource option cannot work for BgpPeer, a Pulumi dynamic resource (pulumi/pulumi#16175), ` +
    `and neither can \`pulumi import\`. To bring the existing peer ${shown} under management, remove \`import\`, declare the peer ` +
    `as it is in etcd (\`calicoctl get bgppeer <name> -o yaml\`) with \`name\` set to its Calico name, and set \`adopt: true\`: ` +
    `the next \`pulumi up\` takes it over, keeps its uid and creationTimestamp, and writes only if the spec differs.`
  );
}

let chosen: dynamic.ResourceProvider | undefined;
let text: pulumi.Output<string> | undefined;

/**
 * `__provider`, serialized once per program as pulumi.dynamic.Resource serializes it. The closure
 * must capture a variable named `provider`: its name is part of the text stored in state, so any
 * other name would show every existing peer as changed.
 */
function providerText(): pulumi.Output<string> {
  if (text) return text;
  const provider = serializedProvider();
  const fn = pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  text = pulumi.output(fn).apply((f): pulumi.Output<string> => (f.containsSecrets ? pulumi.secret(f.text) : pulumi.output(f.text)));
  return text;
}

/**
 * The shim module's exports object when Pulumi's serializer will write it as
 * `require("pulumi-calico-bgppeer/shim")`: the package sits at node_modules/pulumi-calico-bgppeer
 * below the program's directory. Anywhere else (this repository, `npm link`, pnpm's
 * node_modules/.pnpm/<name>@<version>/ paths, which would put the version into the require), a
 * plain copy of it, which the serializer writes out by value. Both forms work in every version.
 */
export function serializedProvider(): dynamic.ResourceProvider {
  if (chosen) return chosen;
  const parts = path.relative(process.cwd(), __filename).split(path.sep);
  const at = parts.indexOf("node_modules");
  const installed = at >= 0 && parts.slice(at + 1).join("/") === "pulumi-calico-bgppeer/dist/provider/resource.js";
  chosen = installed ? (shim as unknown as dynamic.ResourceProvider) : { ...shim };
  return chosen;
}
