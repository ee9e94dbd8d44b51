import { createRequire } from "node:module";
import type * as grpc from "@grpc/grpc-js";
import type * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import type * as pluginPb from "@pulumi/pulumi/proto/plugin_pb";
import type * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import { inputsOf, managedBy, type PeerOutputs, plain } from "../core/outputs";
import { createObject, deleteObject, readObject, updateObject, withOwner } from "../core/peer";
import { previewNew } from "../core/preview";
import { configuredVersion, setStackConfig } from "../core/session";
import { createSet, deleteSet, peerInputs, readSet, type SetInputs, type SetOutputs, updateSet } from "../core/set";
import { checkSet } from "../core/set-inputs";
import { announcement, providerConfig } from "../datastore/config";
import { INT32_MAX } from "../model/fields";
import { checkInputs, containsUnknown, type PeerInputs, SPEC_FIELDS, specEqual, UNKNOWN } from "../model/spec";
import { packageSchema, SET_TOKEN } from "./schema";

/**
 * The native provider `calico`: Pulumi's provider gRPC protocol served over the shared core, a
 * third adapter beside the two dynamic providers. It decides nothing and words nothing itself: the
 * rules are model/'s, the decision and its errors core/'s. What it adds is what the dynamic
 * providers cannot give: a detailed diff per field, Read for `pulumi import`, a schema for YAML
 * and generated SDKs, and the provider's own configuration.
 *
 * Served with the protocol stubs and the gRPC library the installed @pulumi/pulumi ships, as the
 * SDK's own dynamic-provider host does (its `provider.main()` drops detailedDiff and the config).
 */

type Json = Record<string, unknown>;

// The SDK's modules, from where @pulumi/pulumi is installed (a peer dependency, so the user's copy).
const sdk = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpcJs = sdk("@grpc/grpc-js") as typeof grpc;
const rpc = sdk("@pulumi/pulumi/proto/provider_grpc_pb") as { ResourceProviderService: grpc.ServiceDefinition };
const pb = sdk("@pulumi/pulumi/proto/provider_pb") as typeof providerPb;
const plugin = sdk("@pulumi/pulumi/proto/plugin_pb") as typeof pluginPb;
const struct = sdk("google-protobuf/google/protobuf/struct_pb") as typeof structPb;
const empty = sdk("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
const engineRpc = sdk("@pulumi/pulumi/proto/engine_grpc_pb") as {
  EngineClient: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & { log(req: unknown, cb: (e: unknown) => void): void };
};
const engineMessages = sdk("@pulumi/pulumi/proto/engine_pb") as typeof enginePb;

/**
 * Once per provider process, among the run's diagnostics, through the engine's log: the
 * announcement the TypeScript program makes for the dynamic providers, for programs that run none
 * of our code (YAML, Go, the generated SDKs).
 */
function announce(engine: string | undefined, settings: Record<string, string>): void {
  const line = announcement((key) => settings[key]);
  if (!engine || !line) return;
  const client = new engineRpc.EngineClient(engine, grpcJs.credentials.createInsecure());
  const req = new engineMessages.LogRequest();
  req.setSeverity(engineMessages.LogSeverity.INFO);
  req.setMessage(line);
  client.log(req, () => client.close());
}

/** The secret wrapper Pulumi puts around a secret value inside a Struct. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A Struct's value, secrets unwrapped (the provider sees config secrets; resources carry none). */
function fromStruct(s: structPb.Struct | undefined): Json {
  return unwrap(s?.toJavaScript() ?? {}) as Json;
}
function unwrap(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrap);
  if (v && typeof v === "object") {
    const o = v as Json;
    if (SECRET_SIG in o) return unwrap(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrap(x)]));
  }
  return v;
}
/** Struct.fromJavaScript throws on undefined: it goes through JSON first. */
function toStruct(v: unknown): structPb.Struct {
  return struct.Struct.fromJavaScript(plain(v ?? {}) as Record<string, structPb.JavaScriptValue>);
}

/** "<project>/<stack>" from a resource URN (urn:pulumi:<stack>::<project>::<type>::<name>): the stack's mark and uids. */
export function ownerOf(urn: string): string | undefined {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
  return m ? `${m[2]}/${m[1]}` : undefined;
}
function resourceName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}
/** Whether the URN is a BgpPeerSet's (its type is the third part; a parent's type comes before a "$"). */
function isSet(urn: string): boolean {
  const type = urn.split("::")[2] ?? "";
  return type.slice(type.lastIndexOf("$") + 1) === SET_TOKEN;
}

/** A property path as Pulumi writes it: `labels.team`, or `labels["example.com/owner"]` for a key that is not an identifier. */
function propertyPath(root: string, key?: string): string {
  if (key === undefined) return root;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${root}.${key}` : `${root}[${JSON.stringify(key)}]`;
}

/** The detailed diff of a peer: every changed field, and every changed label or annotation by key. */
export function peerDiff(olds: Json, news: Json): { diffs: Map<string, number>; replaces: string[] } {
  const K = pb.PropertyDiff.Kind;
  const diffs = new Map<string, number>();
  const kind = (a: unknown, b: unknown) => (a === undefined ? K.ADD : b === undefined ? K.DELETE : K.UPDATE);
  const replaces: string[] = [];
  if (news.name === UNKNOWN || news.name !== olds.name) {
    diffs.set("name", K.UPDATE_REPLACE);
    replaces.push("name");
  }
  for (const f of SPEC_FIELDS) if (!specEqual(f, olds[f], news[f])) diffs.set(f, kind(olds[f], news[f]));
  for (const m of ["labels", "annotations"] as const) {
    const a = (olds[m] ?? {}) as Record<string, string>;
    const b = (news[m] ?? {}) as Record<string, string>;
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) if (a[k] !== b[k]) diffs.set(propertyPath(m, k), kind(a[k], b[k]));
  }
  return { diffs, replaces };
}

/**
 * The inputs an import records, from which the CLI writes the program's code: an AS number above
 * int32 as a decimal string, which code generators print as written (as a number, Pulumi YAML's
 * prints 4227858441 as 4.227858441e+09).
 */
function importedInputs(inputs: PeerInputs): Json {
  const out: Json = { ...inputs };
  for (const f of ["asNumber", "localASNumber"] as const) {
    const v = out[f];
    if (typeof v === "number" && v > INT32_MAX) out[f] = String(v);
  }
  return out;
}

/** A set's detailed diff: a peer added or removed as a whole, a changed one field by field, at `peers["<name>"]`. */
export function setDiff(olds: Json, news: Json): Map<string, number> {
  const K = pb.PropertyDiff.Kind;
  const a = (olds.peers ?? {}) as Record<string, Json>;
  const b = (news.peers ?? {}) as Record<string, Json>;
  const out = new Map<string, number>();
  if (containsUnknown(news.peers)) {
    out.set("peers", K.UPDATE);
    return out;
  }
  for (const n of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const at = `peers[${JSON.stringify(n)}]`;
    if (!a[n]) out.set(at, K.ADD);
    else if (!b[n]) out.set(at, K.DELETE);
    else for (const [p, kind] of peerDiff({ ...a[n], name: n }, { ...b[n], name: n }).diffs) out.set(`${at}.${p}`, kind);
  }
  if (olds.adopt !== news.adopt) out.set("adopt", olds.adopt === undefined ? K.ADD : news.adopt === undefined ? K.DELETE : K.UPDATE);
  return out;
}

type Call<Req> = grpc.ServerUnaryCall<Req, unknown>;
type Done = grpc.sendUnaryData<unknown>;

/** Runs one call; an error goes back with its message, which the engine prints as it is. */
function serve<Req>(fn: (req: Req) => Promise<unknown> | unknown) {
  return (call: Call<Req>, done: Done) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => done(null, res),
        (e: Error) => done({ code: grpcJs.status.UNKNOWN, details: e.message, message: e.message } as grpc.ServiceError),
      );
  };
}

function checkResponse(inputs: unknown, failures: { property: string; reason: string }[]): providerPb.CheckResponse {
  const res = new pb.CheckResponse();
  for (const f of failures) {
    const c = new pb.CheckFailure();
    c.setProperty(f.property);
    c.setReason(f.reason);
    res.addFailures(c);
  }
  if (!failures.length) res.setInputs(toStruct(inputs));
  return res;
}

/** A set's check: BgpPeer's rules on every peer (core/set-inputs.ts), then the preview's decision for the peers new to it. */
async function checkSetRequest(urn: string, olds: Json, news: Json): Promise<providerPb.CheckResponse> {
  const { inputs, failures } = checkSet({ ...news, name: resourceName(urn), __owner: ownerOf(urn) });
  if (!inputs) return checkResponse(undefined, failures);
  if (!containsUnknown(inputs)) {
    const before = (olds.peers ?? {}) as Json;
    const added = Object.keys(inputs.peers).filter((n) => !(n in before));
    const found = await previewNew(
      added.map((n) => peerInputs(n, inputs.peers[n], undefined, inputs.__owner)),
      { owner: inputs.__owner, adopt: inputs.adopt, set: inputs.name },
    );
    if ("refusal" in found) return checkResponse(undefined, [{ property: "", reason: found.refusal.message }]);
    for (const n of found.notes) process.stderr.write(`${n}\n`);
  }
  return checkResponse(inputs, []);
}

async function readSetRequest(req: providerPb.ReadRequest): Promise<providerPb.ReadResponse> {
  const props = fromStruct(req.getProperties()) as unknown as SetOutputs;
  if (!props.peers) {
    throw new Error(
      `BgpPeerSet "${req.getId()}": a set cannot be imported (its peers are known only from state); import its peers one by one as calico:index:BgpPeer, or declare the set with adopt: true.`,
    );
  }
  const outs = await readSet(props);
  const res = new pb.ReadResponse();
  if (!outs) return res;
  const { stored, ...inputs } = outs;
  res.setId(req.getId());
  res.setProperties(toStruct(outs));
  res.setInputs(toStruct(inputs));
  return res;
}

export function providerService(version: string, engine?: string): grpc.UntypedServiceImplementation {
  let announced = false;
  return {
    getPluginInfo: serve(() => {
      const info = new plugin.PluginInfo();
      info.setVersion(version);
      return info;
    }),
    getSchema: serve(() => {
      const res = new pb.GetSchemaResponse();
      res.setSchema(JSON.stringify(packageSchema(version)));
      return res;
    }),
    checkConfig: serve((req: providerPb.CheckRequest) => {
      const res = new pb.CheckResponse();
      res.setInputs(req.getNews());
      return res;
    }),
    diffConfig: serve((req: providerPb.DiffRequest) => {
      // New settings never replace a peer: the next operation uses them.
      const res = new pb.DiffResponse();
      const same = JSON.stringify(fromStruct(req.getOlds())) === JSON.stringify(fromStruct(req.getNews()));
      res.setChanges(same ? pb.DiffResponse.DiffChanges.DIFF_NONE : pb.DiffResponse.DiffChanges.DIFF_SOME);
      return res;
    }),
    configure: serve((req: providerPb.ConfigureRequest) => {
      // args when the engine sends them; else the deprecated variables, keyed "calico:config:<key>".
      const args = fromStruct(req.getArgs());
      const settings: Record<string, string> = {};
      for (const [k, v] of Object.entries(args)) if (typeof v === "string" && v !== UNKNOWN) settings[`calico:${k}`] = v;
      req.getVariablesMap().forEach((v: string, k: string) => {
        settings[k.replace(/^calico:config:/, "calico:")] ??= v;
      });
      const values = providerConfig((key) => settings[key]);
      setStackConfig(values);
      if (!announced) announce(engine, values);
      announced = true;
      const res = new pb.ConfigureResponse();
      // Secrets are stripped before resources reach the provider and re-marked on outputs of the same name.
      res.setAcceptsecrets(false);
      res.setSupportspreview(false);
      return res;
    }),
    check: serve(async (req: providerPb.CheckRequest) => {
      const urn = req.getUrn();
      const news = fromStruct(req.getNews());
      const olds = fromStruct(req.getOlds());
      if (isSet(urn)) return checkSetRequest(urn, olds, news);
      if (news.name === undefined && news.scope === undefined && news.hostname === undefined) news.name = resourceName(urn);
      const owner = ownerOf(urn);
      if (owner) news.__owner = owner;
      const v = configuredVersion();
      const { inputs, failures } = checkInputs(news, v && { calicoVersion: v.version, versionSource: v.source });
      const res = new pb.CheckResponse();
      const fail = (property: string, reason: string) => {
        const f = new pb.CheckFailure();
        f.setProperty(property);
        f.setReason(reason);
        res.addFailures(f);
      };
      if (failures.length) {
        for (const f of failures) fail(f.property, `${f.property}: ${f.reason}`);
        return res;
      }
      const peer = inputs as unknown as PeerInputs;
      if (Object.keys(olds).length === 0 && !containsUnknown(peer)) {
        const found = await previewNew([peer], { owner: peer.__owner, adopt: peer.adopt });
        if ("refusal" in found) {
          fail("", found.refusal.message);
          return res;
        }
        for (const n of found.notes) process.stderr.write(`${n}\n`);
      }
      res.setInputs(toStruct(inputs));
      return res;
    }),
    diff: serve((req: providerPb.DiffRequest) => {
      const olds = fromStruct(req.getOlds());
      const news = fromStruct(req.getNews());
      const { diffs, replaces } = isSet(req.getUrn()) ? { diffs: setDiff(olds, news), replaces: [] } : peerDiff(olds, news);
      const res = new pb.DiffResponse();
      res.setChanges(diffs.size ? pb.DiffResponse.DiffChanges.DIFF_SOME : pb.DiffResponse.DiffChanges.DIFF_NONE);
      res.setReplacesList(replaces);
      res.setDiffsList([...new Set([...diffs.keys()].map((p) => p.split(/[.[]/)[0]))]);
      const detailed = res.getDetaileddiffMap();
      for (const [path, kind] of diffs) {
        const d = new pb.PropertyDiff();
        d.setKind(kind as providerPb.PropertyDiff.Kind);
        d.setInputdiff(true);
        detailed.set(path, d);
      }
      res.setHasdetaileddiff(true);
      res.setDeletebeforereplace(false);
      return res;
    }),
    create: serve(async (req: providerPb.CreateRequest) => {
      const inputs = fromStruct(req.getProperties());
      if (isSet(req.getUrn())) {
        const outs = await createSet(inputs as unknown as SetInputs);
        const res = new pb.CreateResponse();
        res.setId(outs.name);
        res.setProperties(toStruct(outs));
        return res;
      }
      const outs = await createObject(inputs as unknown as PeerInputs);
      const res = new pb.CreateResponse();
      res.setId(outs.name);
      res.setProperties(toStruct(withOwner(outs, inputs)));
      return res;
    }),
    read: serve(async (req: providerPb.ReadRequest) => {
      if (isSet(req.getUrn())) return readSetRequest(req);
      const props = fromStruct(req.getProperties()) as unknown as PeerOutputs;
      // An import sends no state: the peer is taken with every label and annotation it has.
      const importing = Object.keys(props).length === 0;
      const found = await readObject(props.name ?? req.getId(), importing ? "all" : managedBy(props));
      const res = new pb.ReadResponse();
      if (!found) return res;
      const owner = importing ? ownerOf(req.getUrn()) : (props as { __owner?: string }).__owner;
      const outs = withOwner(found, { __owner: owner });
      const { __owner, adopt, ...inputs } = inputsOf(outs) as PeerInputs & { __owner?: string };
      res.setId(outs.name);
      res.setProperties(toStruct(outs));
      res.setInputs(toStruct(importing ? importedInputs(inputs) : inputsOf(outs)));
      return res;
    }),
    update: serve(async (req: providerPb.UpdateRequest) => {
      const news = fromStruct(req.getNews());
      if (isSet(req.getUrn())) {
        const res = new pb.UpdateResponse();
        res.setProperties(toStruct(await updateSet(fromStruct(req.getOlds()) as unknown as SetOutputs, news as unknown as SetInputs)));
        return res;
      }
      const outs = await updateObject(fromStruct(req.getOlds()) as unknown as PeerOutputs, news as unknown as PeerInputs);
      const res = new pb.UpdateResponse();
      res.setProperties(toStruct(withOwner(outs, news)));
      return res;
    }),
    delete: serve(async (req: providerPb.DeleteRequest) => {
      if (isSet(req.getUrn())) {
        await deleteSet(fromStruct(req.getProperties()) as unknown as SetOutputs);
        return new empty.Empty();
      }
      const props = fromStruct(req.getProperties()) as unknown as PeerOutputs & { __owner?: string };
      props.__owner ??= ownerOf(req.getUrn());
      await deleteObject(props);
      return new empty.Empty();
    }),
    cancel: serve(() => new empty.Empty()),
  };
}

/**
 * Starts the server on a free loopback port and prints the port, as the engine expects, on stdout.
 * `engine`: the engine's address, for the provider's messages (the last argument the engine passes).
 */
export function startServer(version: string, engine?: string): Promise<grpc.Server> {
  const server = new grpcJs.Server();
  server.addService(rpc.ResourceProviderService, providerService(version, engine));
  return new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpcJs.ServerCredentials.createInsecure(), (e, port) => {
      if (e) return reject(e);
      process.stdout.write(`${port}\n`);
      resolve(server);
    });
  });
}
