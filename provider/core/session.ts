import type { Backend } from "../datastore/api";
import { configuredCalicoVersion, DATASTORE_ENV, type Datastore, resolveDatastore } from "../datastore/config";
import { UnsupportedFieldError } from "../datastore/errors";
import { backendFor } from "../datastore/select";
import { pickSpec } from "../model/fields";
import type { PeerInputs } from "../model/spec";
import { type CalicoVersion, fieldsTooNew, parseCalicoVersion, usesVersionedFields } from "../model/versions";

/**
 * The datastore one provider process talks to: its settings (stack config over the environment
 * over calicoctl's file), its backend, and the Calico release it runs, each resolved once.
 */

let stackConfig: Record<string, string> | undefined;

/** Stack config as the provider's configure saw it: it wins over the environment and calicoctl's file. */
export function setStackConfig(values: Record<string, string> | undefined): void {
  stackConfig = values;
}

const stackGetter = () => (stackConfig ? (k: string) => stackConfig![k] : undefined);

// What the settings depend on besides stack config: the datastore variables and the home directory
// (for ~/.kube/config).
const settingsEnv = (k: string) => k === "HOME" || DATASTORE_ENV.test(k);
let resolved: { key: string; d: Datastore } | undefined;

/**
 * The settings, resolved once per provider process and configuration: a kubeconfig is a file to
 * read and parse, which would otherwise cost every request a few hundred microseconds.
 */
function datastore(): Datastore {
  const env = Object.entries(process.env)
    .filter(([k]) => settingsEnv(k))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const key = JSON.stringify([stackConfig ?? null, env]);
  if (resolved?.key !== key) resolved = { key, d: resolveDatastore({ stack: stackGetter() }) };
  return resolved.d;
}

let chosen: Backend | undefined;

/**
 * Serve every operation of this process from `b` instead of the configured datastore (undefined:
 * back to the settings). The in-memory backend's unit tests use it.
 */
export function useBackend(b: Backend | undefined): void {
  chosen = b;
  detectedVersions.clear();
}

/** The datastore the settings name: etcd v3 or the Kubernetes API. */
export function backend(): Backend {
  return chosen ?? backendFor(datastore());
}

export function configuredVersion() {
  return configuredCalicoVersion({ stack: stackGetter() });
}

// calico-node's release as ClusterInformation records it, read once per provider process and
// datastore, and only for a peer that uses a field newer than Calico v3.0.
const detectedVersions = new Map<string, Promise<CalicoVersion | undefined>>();

async function clusterVersion(b: Backend): Promise<{ version: CalicoVersion; source: string } | undefined> {
  const configured = configuredVersion();
  if (configured) return configured;
  let pending = detectedVersions.get(b.where);
  if (!pending) {
    pending = withClient("read ClusterInformation", (c) => c.clusterCalicoVersion(), b).then((t) => (t === undefined ? undefined : parseCalicoVersion(t)));
    detectedVersions.set(b.where, pending);
    pending.catch(() => detectedVersions.delete(b.where));
  }
  const version = await pending;
  return version && { version, source: `ClusterInformation in ${b.storeName}` };
}

/** Refuses, before anything is written, fields that the cluster's calico-node predates. */
export async function refuseFieldsTooNew(inputs: PeerInputs, b: Backend = backend()): Promise<void> {
  const spec = pickSpec(inputs as unknown as Record<string, unknown>);
  if (!usesVersionedFields(spec)) return;
  const v = await clusterVersion(b);
  const bad = v ? fieldsTooNew(spec, v.version, v.source) : [];
  if (bad.length) {
    const problems = bad.map((e) => e.message);
    throw new UnsupportedFieldError({ peer: inputs.name, reason: problems.join("; "), problems, written: "nothing" });
  }
}

/** Run one datastore step, turning transport failures into errors that name the endpoints. */
export async function withClient<T>(op: string, fn: (b: Backend) => Promise<T>, b: Backend = backend()): Promise<T> {
  try {
    return await fn(b);
  } catch (e) {
    throw b.wrap(e, op);
  }
}
