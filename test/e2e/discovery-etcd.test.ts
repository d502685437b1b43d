// First: the etcd helper hands protobufjs its Long before etcd3 loads (see the helper).
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { discoveryE2E } from '../helpers/discovery-e2e.js';

// Gateways found through a real etcd instead of the register, end to end through the CLI (the
// suite is shared with ZooKeeper: test/helpers/discovery-e2e.ts).

discoveryE2E<EtcdServer & { port: number }>({
  name: 'etcd',
  start: async () => {
    const etcd = await startEtcd();
    return Object.assign(etcd, { port: etcd.clientPort });
  },
  config: (etcd, ttlMs) => ({ etcd: { endpoints: [etcd.endpoint], ttl: `${ttlMs}ms` } }),
  options: (etcd) => ({ etcd: { endpoints: [etcd.endpoint] } }),
});
