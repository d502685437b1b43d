import { MAX_UID_LENGTH } from '@gateworker/protocol';
import type { Key, SendData } from './cluster-api-types.js';

/** Data to send: text travels as UTF-8 with the binary flag off, bytes as they are with it on. */
export interface Payload {
  binary: boolean;
  payload: Uint8Array;
}

export function toPayload(data: SendData): Payload {
  if (typeof data === 'string') return { binary: false, payload: Buffer.from(data, 'utf8') };
  if (data instanceof Uint8Array) return { binary: true, payload: data };
  throw new TypeError(`data to send must be a string or a Uint8Array, got ${data === null ? 'null' : typeof data}`);
}

/** A uid or group name as it travels: a non-empty string. */
export function keyOf(value: Key, what: 'uid' | 'group'): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_UID_LENGTH) return value;
  if (typeof value === 'string' && value.length > MAX_UID_LENGTH) throw new TypeError(`${what} is longer than ${MAX_UID_LENGTH} characters`);
  throw new TypeError(`${what} must be a non-empty string or a finite number, got ${JSON.stringify(value) ?? typeof value}`);
}
