import { etcdForProvider } from "../harness/etcd";
import { peerScenarios } from "../scenarios/peers";

/** The shared scenarios (test/scenarios/peers.ts) against a real etcd 3.5. */
const etcd = etcdForProvider();

peerScenarios({
  storeName: "etcd",
  prefix: "etcd",
  async createFilter(name) {
    await etcd.admin
      .put(`/calico/resources/v3/projectcalico.org/bgpfilters/${name}`)
      .value(JSON.stringify({ kind: "BGPFilter", apiVersion: "projectcalico.org/v3", metadata: { name }, spec: {} }));
  },
});
