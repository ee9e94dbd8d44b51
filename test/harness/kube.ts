import { after, before } from "node:test";
import { countRequests, kubeRequests } from "../../provider/datastore/kube/backend";
import { closeBackends } from "../../provider/datastore/select";

// Shared with the demo, which is plain JS.
const shared = require("../../../scripts/kube.js") as {
  startKube(o?: { dir?: string; calicoCrds?: boolean; kubernetes?: string }): Promise<TestKube>;
};

export interface KubeReply {
  status: number;
  body: any;
}

/** A real kube-apiserver (with etcd 3.5 behind it) and Calico's v3.31 CRDs, on loopback. */
export interface TestKube {
  server: string;
  caFile: string;
  /** Bearer tokens of the users the token file defines: admin (system:masters), bgp-writer, bgp-reader, nobody. */
  tokens: Record<string, string>;
  dir: string;
  version: string;
  /** A kubeconfig for the admin. */
  kubeconfig: string;
  kubeconfigFor(user: string): string;
  /** One request to the API server as `user` (admin by default). */
  call(method: string, path: string, body?: unknown, user?: string): Promise<KubeReply>;
  pid: number;
  stop(): Promise<void>;
}

/** Starts one; fails loudly when kube-apiserver or etcd 3.5 cannot be built or started. */
/** `kubernetes`: a version scripts/tools.js builds (KUBE_BUILDS); its default otherwise. */
export function startKube(o: { calicoCrds?: boolean; kubernetes?: string } = {}): Promise<TestKube> {
  return shared.startKube(o);
}

export const CRD = "/apis/crd.projectcalico.org/v1";

/**
 * A real API server for the test file that calls this (at its top level), handed to the provider
 * in this process through DATASTORE_TYPE=kubernetes and KUBECONFIG; stopped after its tests.
 */
export function kubeForProvider(o: { calicoCrds?: boolean; kubernetes?: string } = {}): TestKube {
  const kube = {} as TestKube;
  const saved = { DATASTORE_TYPE: process.env.DATASTORE_TYPE, KUBECONFIG: process.env.KUBECONFIG };
  before(async () => {
    Object.assign(kube, await startKube(o));
    process.env.DATASTORE_TYPE = "kubernetes";
    process.env.KUBECONFIG = kube.kubeconfig;
  });
  after(async () => {
    closeBackends();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await kube.stop?.();
  });
  return kube;
}

/** Requests the provider in this process sent while `fn` ran, by "METHOD resource". */
export async function requestsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; total: number; by: Record<string, number> }> {
  const before = new Map(kubeRequests);
  const start = countRequests();
  const result = await fn();
  const by: Record<string, number> = {};
  for (const [k, v] of kubeRequests) if (v !== (before.get(k) ?? 0)) by[k] = v - (before.get(k) ?? 0);
  return { result, total: countRequests() - start, by };
}
