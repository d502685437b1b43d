import { discoveryE2E } from '../helpers/discovery-e2e.js';
import { startZooKeeper, type ZooKeeperServer } from '../helpers/zookeeper-server.js';

// Gateways found through a real ZooKeeper instead of the register, end to end through the CLI
// (the suite is shared with etcd: test/helpers/discovery-e2e.ts). One JVM for the file.

discoveryE2E<ZooKeeperServer>({
  name: 'ZooKeeper',
  start: () => startZooKeeper(60_000),
  config: (zk, ttlMs) => ({ zookeeper: { servers: zk.servers, sessionTimeout: `${ttlMs}ms` } }),
  options: (zk) => ({ zookeeper: { servers: zk.servers } }),
  // `cons` lists one line per client connection; those with a session carry its id ("sid=0x…").
  sessions: async (zk) => (await zk.fourLetter('cons')).split('\n').filter((l) => l.includes('sid=0x')).length,
});
