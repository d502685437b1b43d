import { FieldReader, isGatewayId, type GatewayInfo } from '@gateworker/protocol';
import { DiscoveryError } from './errors.js';
import { MAX_RECORD_BYTES } from './options.js';

/**
 * A gateway's record on the backend: the GatewayInfo it would announce to a register, as JSON
 * (readable with etcdctl / zkCli), under `<gatewaysPath>/<gatewayId>`. Decoded data is checked
 * field by field before it reaches a directory; a bad record is skipped, never trusted.
 */

export function encodeRecord(info: GatewayInfo): Buffer {
  return Buffer.from(JSON.stringify(info));
}

export function decodeRecord(key: string, bytes: Uint8Array): GatewayInfo {
  if (bytes.byteLength > MAX_RECORD_BYTES) throw DiscoveryError.badRecord(key, `${bytes.byteLength} bytes (at most ${MAX_RECORD_BYTES})`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw DiscoveryError.badRecord(key, 'not JSON');
  }
  try {
    const r = new FieldReader('gateway record', value);
    const s = r.reader('stats');
    const info: GatewayInfo = {
      gatewayId: r.str('gatewayId', 64),
      nodeId: r.str('nodeId', 256),
      address: r.str('address', 300),
      processIndex: r.int('processIndex'),
      pid: r.int('pid'),
      stats: { clients: s.int('clients'), uids: s.int('uids'), groups: s.int('groups'), workers: s.int('workers'), pending: s.int('pending') },
    };
    if (!isGatewayId(info.gatewayId)) throw DiscoveryError.badRecord(key, `"${info.gatewayId}" is not a gateway id`);
    if (!key.endsWith('/' + info.gatewayId)) throw DiscoveryError.badRecord(key, `holds gateway ${info.gatewayId}, not the one its key names`);
    return info;
  } catch (err) {
    if (err instanceof DiscoveryError) throw err;
    throw DiscoveryError.badRecord(key, (err as Error).message);
  }
}
