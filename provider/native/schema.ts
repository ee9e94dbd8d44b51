import * as fs from "node:fs";
import * as path from "node:path";
import { KUBE_STACK_KEYS, STACK_KEYS, VERSION_KEYS } from "../datastore/config";
import { FIELDS, type FieldDef, SPEC_FIELDS } from "../model/fields";

/**
 * The Pulumi package schema of the native provider `calico`, generated from the field table
 * (model/fields.ts) and the connection settings (datastore/config.ts): every BGPPeerSpec field
 * once, with the documentation model/fields.ts gives it, and the secret settings marked.
 */

type Json = Record<string, unknown>;

export const PACKAGE = "calico";
export const PEER_TOKEN = "calico:index:BgpPeer";
export const SET_TOKEN = "calico:index:BgpPeerSet";
const SECRET_KEY_REF = "calico:index:SecretKeyRef";
const PASSWORD = "calico:index:BgpPassword";

/** The settings whose values are key material: secret in the schema, so that Pulumi encrypts them. */
export const SECRET_SETTINGS = new Set(["etcdPassword", "etcdKey", "k8sAPIToken", "kubeconfigInline"]);

/**
 * Each field's doc comment in the field table, read from its source, which the package ships: the
 * comments are the one home of the fields' documentation (editors show them on BgpPeerArgs).
 */
let docsRead: Record<string, string> | undefined;

export function fieldDocs(): Record<string, string> {
  docsRead ??= readFieldDocs();
  return docsRead;
}

function readFieldDocs(): Record<string, string> {
  const candidates = [path.join(__dirname, "../model/fields.ts"), path.join(__dirname, "../../../provider/model/fields.ts")];
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) return {};
  const text = fs.readFileSync(file, "utf8");
  const body = text.slice(text.indexOf("export const FIELDS"));
  const docs: Record<string, string> = {};
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*\n\s*(\w+): \{/g)) {
    docs[m[2]] = m[1]
      .split("\n")
      .map((l) => l.replace(/^\s*\* ?/, "").trim())
      .filter(Boolean)
      .join(" ");
  }
  return docs;
}

/** A field's schema type, from its kind. */
function typeOf(def: FieldDef): Json {
  switch (def.kind) {
    case "bool":
      return { type: "boolean" };
    case "int":
      return { type: "integer" };
    // An AS number is given as a number, a decimal string or dotted "hi.lo", and stored as a number.
    case "asn":
      return { oneOf: [{ type: "integer" }, { type: "string" }] };
    case "names":
      return { type: "array", items: { type: "string" } };
    case "password":
      return { $ref: `#/types/${PASSWORD}` };
    default:
      return { type: "string" };
  }
}

function specProperties(output: boolean): Json {
  const docs = fieldDocs();
  const out: Json = {};
  for (const f of SPEC_FIELDS) {
    const def: FieldDef = FIELDS[f];
    const t = typeOf(def);
    // Outputs are as stored: an AS number is a number there.
    out[f] = { ...(output && def.kind === "asn" ? { type: "integer" } : t), description: docs[f] ?? f };
  }
  return out;
}

const stringMap = { type: "object", additionalProperties: { type: "string" } };

function peerInputs(): Json {
  return {
    name: { type: "string", description: "The Calico name (metadata.name). Defaults to calico-upgrade's name in seed terms, else the resource name." },
    scope: { type: "string", description: 'Seed (v1) model: "global" or "node". Inferred from node when omitted.' },
    hostname: { type: "string", description: "Seed (v1) spelling of node." },
    ...specProperties(false),
    labels: { ...stringMap, description: "Labels this resource manages; labels set by others on the object are left alone." },
    annotations: { ...stringMap, description: "Annotations this resource manages; others are left alone." },
    adopt: {
      oneOf: [{ type: "boolean" }, { type: "string" }],
      description: 'Take over a peer that already exists under this name instead of failing; "force" takes one another stack manages.',
    },
  };
}

function peerOutputs(): Json {
  return {
    name: { type: "string", description: "The Calico name (metadata.name), also the resource's id.", replaceOnChanges: true },
    ...specProperties(true),
    labels: { ...stringMap, description: "Only the labels this resource manages." },
    annotations: { ...stringMap, description: "Only the annotations this resource manages." },
    uid: { type: "string", description: "metadata.uid: set at create (kept when adopted), as calicoctl sets it." },
    creationTimestamp: { type: "string", description: "metadata.creationTimestamp (RFC 3339, UTC)." },
    resourceVersion: { type: "string", description: "The datastore's revision of the peer, as Calico reports resourceVersion." },
    scope: { type: "string", description: '"node" or "global"; absent for a nodeSelector peer.' },
  };
}

/** The provider's configuration: every `calico:` stack key the dynamic resources read, secrets marked. */
function configVariables(): Json {
  const out: Json = {};
  const keys = [...Object.values(STACK_KEYS), ...Object.values(KUBE_STACK_KEYS), VERSION_KEYS.stack];
  for (const key of keys) {
    const name = key.replace(/^calico:/, "");
    out[name] = {
      type: "string",
      ...(SECRET_SETTINGS.has(name) ? { secret: true } : {}),
      description: `As the stack config key ${key} of the dynamic resources.`,
    };
  }
  return out;
}

export function packageSchema(version: string): Json {
  const config = configVariables();
  return {
    name: PACKAGE,
    displayName: "Calico BGP peers",
    version,
    description: "Calico BGPPeer objects in Calico's etcd v3 datastore or the Kubernetes API datastore, written as calicoctl writes them.",
    keywords: ["calico", "bgp", "bgppeer", "kind/native"],
    license: "Apache-2.0",
    repository: "https://github.com/pulumi-calico-bgppeer/pulumi-calico-bgppeer",
    config: { variables: config },
    provider: {
      description: "The datastore to manage peers in; unset settings come from the environment and calicoctl's file, as calicoctl takes them.",
      inputProperties: config,
    },
    types: {
      [SECRET_KEY_REF]: {
        type: "object",
        description: "A key of a Kubernetes Secret in calico-node's namespace.",
        properties: { name: { type: "string" }, key: { type: "string" }, optional: { type: "boolean" } },
        required: ["name", "key"],
      },
      [PASSWORD]: {
        type: "object",
        description: "Where the BGP password is.",
        properties: { secretKeyRef: { $ref: `#/types/${SECRET_KEY_REF}` } },
        required: ["secretKeyRef"],
      },
    },
    resources: {
      [PEER_TOKEN]: {
        description: "A Calico BGPPeer, written as calicoctl writes it, in etcd or the Kubernetes API datastore.",
        properties: peerOutputs(),
        required: ["name", "uid", "creationTimestamp", "resourceVersion"],
        inputProperties: peerInputs(),
      },
      [SET_TOKEN]: {
        description: "Many BGPPeers managed as one resource: one read and as few writes as the datastore takes.",
        properties: {
          peers: {
            type: "object",
            additionalProperties: { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } },
            description: "The peers by Calico name, as stored.",
          },
        },
        required: ["peers"],
        inputProperties: {
          peers: {
            type: "array",
            items: { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } },
            description: "The peers: each takes BgpPeer's inputs except adopt.",
          },
          adopt: { oneOf: [{ type: "boolean" }, { type: "string" }], description: 'Take over peers that exist; "force" also another stack\'s.' },
        },
        requiredInputs: ["peers"],
      },
    },
    language: {
      nodejs: { packageName: "@pulumi-calico-bgppeer/calico", respectSchemaVersion: true },
      python: { packageName: "pulumi_calico_bgppeer", respectSchemaVersion: true },
      go: { importBasePath: "github.com/pulumi-calico-bgppeer/sdk/go/calico", respectSchemaVersion: true },
    },
  };
}
