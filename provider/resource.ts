import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as shim from "./shim";
import { usesSeedTerms } from "./model/spec";

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
  /** Seed (v1) spelling of node. */
  hostname?: In<string>;
  node?: In<string>;
  nodeSelector?: In<string>;
  /** IPv4 or IPv6, optionally with a port: "a.b.c.d:port" or "[v6]:port". */
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

const OUTPUTS = [
  "node",
  "nodeSelector",
  "peerIP",
  "asNumber",
  "localASNumber",
  "peerSelector",
  "keepOriginalNextHop",
  "nextHopMode",
  "password",
  "sourceAddress",
  "maxRestartTime",
  "keepaliveTime",
  "numAllowedLocalASNumbers",
  "ttlSecurity",
  "reachableBy",
  "filters",
  "localWorkloadSelector",
  "reversePeering",
  "labels",
  "annotations",
  "adopt",
  "key",
  "uid",
  "creationTimestamp",
  "resourceVersion",
  "scope",
  "preserved",
] as const;

/** A Calico BGPPeer in the etcd v3 datastore. */
export class BgpPeer extends pulumi.dynamic.Resource {
  /** The Calico name (metadata.name), also the resource's id. */
  declare readonly name: pulumi.Output<string>;
  declare readonly node: pulumi.Output<string | undefined>;
  declare readonly nodeSelector: pulumi.Output<string | undefined>;
  /** Canonical: lower-case, compressed IPv6; port kept. */
  declare readonly peerIP: pulumi.Output<string | undefined>;
  /** Always a number. */
  declare readonly asNumber: pulumi.Output<number | undefined>;
  declare readonly localASNumber: pulumi.Output<number | undefined>;
  declare readonly peerSelector: pulumi.Output<string | undefined>;
  declare readonly keepOriginalNextHop: pulumi.Output<boolean | undefined>;
  declare readonly nextHopMode: pulumi.Output<string | undefined>;
  declare readonly password: pulumi.Output<{ secretKeyRef: { name: string; key: string; optional?: boolean } } | undefined>;
  declare readonly sourceAddress: pulumi.Output<string | undefined>;
  /** Canonical Go duration, e.g. "2m0s". */
  declare readonly maxRestartTime: pulumi.Output<string | undefined>;
  declare readonly keepaliveTime: pulumi.Output<string | undefined>;
  declare readonly numAllowedLocalASNumbers: pulumi.Output<number | undefined>;
  declare readonly ttlSecurity: pulumi.Output<number | undefined>;
  declare readonly reachableBy: pulumi.Output<string | undefined>;
  declare readonly filters: pulumi.Output<string[] | undefined>;
  declare readonly localWorkloadSelector: pulumi.Output<string | undefined>;
  declare readonly reversePeering: pulumi.Output<string | undefined>;
  /** Only the labels this resource manages; others on the object are left alone. */
  declare readonly labels: pulumi.Output<Record<string, string> | undefined>;
  declare readonly annotations: pulumi.Output<Record<string, string> | undefined>;
  declare readonly adopt: pulumi.Output<boolean | undefined>;
  /** The etcd key: /calico/resources/v3/projectcalico.org/bgppeers/<name>. */
  declare readonly key: pulumi.Output<string>;
  declare readonly uid: pulumi.Output<string>;
  declare readonly creationTimestamp: pulumi.Output<string>;
  /** etcd's mod revision of the key, as Calico reports resourceVersion. */
  declare readonly resourceVersion: pulumi.Output<string>;
  /** "node" or "global"; absent for a nodeSelector peer. */
  declare readonly scope: pulumi.Output<"node" | "global" | undefined>;
  /** Parts of the stored object this resource does not manage, written back unchanged on update. */
  declare readonly preserved: pulumi.Output<Record<string, unknown> | undefined>;

  constructor(name: string, args: BgpPeerArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = {};
    for (const k of OUTPUTS) props[k] = undefined;
    Object.assign(props, args);
    // Without a name, a seed-model peer gets calico-upgrade's name (derived in check); any other the resource name.
    props.name = args.name ?? (usesSeedTerms(args) ? undefined : name);
    super(serializedProvider(), name, props, opts, "calico", "BgpPeer");
  }
}

let chosen: dynamic.ResourceProvider | undefined;

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
