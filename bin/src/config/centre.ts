import { EtcdCentre, ZooKeeperCentre, type ConfigCentre } from '@gateworker/centre';
import type { CentreConfig } from './schema.js';

/** The config centre the `config` section names, or null when it names none. */
export function createCentre(spec: CentreConfig | undefined): ConfigCentre | null {
  if (spec?.etcd !== undefined) {
    const e = spec.etcd;
    return new EtcdCentre({
      endpoints: e.endpoints,
      key: e.key,
      ...(e.username !== undefined && { username: e.username }),
      ...(e.password !== undefined && { password: e.password }),
      ...(e.tls !== undefined && { tls: e.tls }),
    });
  }
  if (spec?.zookeeper !== undefined) return new ZooKeeperCentre({ servers: spec.zookeeper.servers, path: spec.zookeeper.path });
  return null;
}
