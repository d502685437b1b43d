import { createHash } from 'node:crypto';
import { parseClientId } from '@gateworker/protocol';
import type { BusCommand } from './message.js';

/**
 * AMQP routing keys of routing mode. A gateway's queue is bound with `all`, `gateway.<gatewayId>`
 * and `uid.<uid>` / `group.<group>` for every uid and group its clients hold. A key is a
 * short string of at most 255 bytes: a longer one is `uid.sha256.<hex>` (same for groups), with
 * the SHA-256 of the UTF-8 name in lowercase hex.
 */

export const ALL_KEY = 'all';
const MAX_KEY_BYTES = 255;

function named(prefix: 'uid' | 'group' | 'gateway', name: string): string {
  const key = `${prefix}.${name}`;
  if (Buffer.byteLength(key) <= MAX_KEY_BYTES) return key;
  return `${prefix}.sha256.${createHash('sha256').update(name, 'utf8').digest('hex')}`;
}

export const uidKey = (uid: string): string => named('uid', uid);
export const groupKey = (group: string): string => named('group', group);
export const gatewayKey = (gatewayId: string): string => named('gateway', gatewayId);

/**
 * The routing keys a publisher uses for a message in routing mode: publish once with the first
 * as routing key and the others in the `CC` header (RabbitMQ sender-selected distribution), so
 * each gateway queue receives one copy however many of the keys it is bound with.
 */
export function routingKeysFor(command: BusCommand): string[] {
  const keys = new Set<string>();
  switch (command.op) {
    case 'sendToAll':
      keys.add(ALL_KEY);
      break;
    case 'sendToUid':
      for (const uid of command.uids) keys.add(uidKey(uid));
      break;
    case 'sendToGroup':
      for (const group of command.groups) keys.add(groupKey(group));
      break;
    case 'sendToClient':
      for (const id of command.ids) {
        const parsed = parseClientId(id);
        if (parsed !== null) keys.add(gatewayKey(parsed.gatewayId));
      }
      break;
    case 'closeClient': {
      const parsed = parseClientId(command.id);
      if (parsed !== null) keys.add(gatewayKey(parsed.gatewayId));
      break;
    }
  }
  return [...keys];
}
