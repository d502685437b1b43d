export type { CentreDocument, CentreState, CentreWatch, CentreWatchHandlers, ConfigCentre } from './centre.js';
export { CentreError, CentreErrorCode } from './errors.js';
export { DEFAULT_ETCD_CALL_TIMEOUT_MS, EtcdCentre, type EtcdCentreOptions } from './etcd.js';
export {
  DEFAULT_ZOOKEEPER_CALL_TIMEOUT_MS,
  DEFAULT_ZOOKEEPER_SESSION_TIMEOUT_MS,
  ZooKeeperCentre,
  type ZooKeeperCentreOptions,
} from './zookeeper.js';
export { AppConfigWatch, createCentreFrom, type AppConfigChange, type CentreSpec } from './app-config.js';
export { guardZooKeeperReplies } from './zookeeper-guard.js';
