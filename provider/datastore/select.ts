import type { Backend } from "./api";
import type { Datastore } from "./config";
import { closeEtcd, etcdBackend } from "./etcd/backend";
import { closeKube, kubeBackend } from "./kube/backend";

/** The backend the settings name: etcd v3 or the Kubernetes API. */
export function backendFor(d: Datastore): Backend {
  return d.type === "etcdv3" ? etcdBackend(d.etcd) : kubeBackend(d.kube);
}

/** Closes every connection this process holds, so that it can exit. */
export function closeBackends(): void {
  closeEtcd();
  closeKube();
}
