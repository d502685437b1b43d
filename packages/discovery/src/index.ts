/**
 * @gateworker/discovery: gateway discovery on etcd and ZooKeeper. Gateways publish their record
 * (the GatewayInfo a register would get) under a lease / ephemeral znode at
 * `<prefix>/<cluster>/gateways/<gatewayId>`; workers and GatewayClients list and watch.
 */
export { DiscoveryBackend } from './backend.js';
export type { DiscoveryBackendEvents } from './backend.js';
export { EtcdBackend } from './etcd.js';
export { ZookeeperBackend } from './zookeeper.js';
export { DiscoveryDirectory, RelayedDirectory } from './directory.js';
export type { DirectoryEvents } from './directory.js';
export { DiscoveryAnnouncer } from './announcer.js';
export type { RecordSink } from './announcer.js';
export { createBackend, readClusterView, DEFAULT_READ_TIMEOUT_MS } from './create.js';
export type { ClusterView } from './create.js';
export { encodeRecord, decodeRecord } from './record.js';
export * from './errors.js';
export * from './options.js';
