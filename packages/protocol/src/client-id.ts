import { randomInt } from 'node:crypto';

/**
 * Client ids (guarantee 1): `<gatewayId><counter>`, lowercase Crockford base32.
 *
 * - `gatewayId` is 12 characters (60 bits) minted when a gateway process starts: 32 bits of Unix
 *   seconds and 28 random bits. A restarted gateway has a new gatewayId, so ids are never reused.
 * - `counter` is the gateway-local client number (1 … 2^48−1), without leading zeros.
 * - At most 12 + 10 = 22 characters; no addresses inside, so IPv6 changes nothing.
 * - Routable: the gatewayId part names the gateway in the register's list.
 */

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

export const GATEWAY_ID_LENGTH = 12;
export const MAX_CLIENT_ID_LENGTH = 22;

function isBase32(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || VALUE[c] === -1) return false;
  }
  return true;
}

function encodeBase32(value: number): string {
  let out = '';
  let v = value;
  do {
    out = ALPHABET.charAt(v % 32) + out;
    v = Math.floor(v / 32);
  } while (v > 0);
  return out;
}

/** Mints a fresh gateway id (at process start). */
export function newGatewayId(nowMs: number = Date.now()): string {
  const seconds = Math.floor(nowMs / 1000) >>> 0;
  const random = randomInt(0, 2 ** 28);
  // 60 bits = seconds (32) · random (28); split into two 30-bit halves to stay in safe integers.
  const high = Math.floor(seconds / 4); // top 30 bits of the seconds
  const low = (seconds % 4) * 2 ** 28 + random; // 2 bits of seconds, 28 random
  return encodeBase32(high).padStart(6, '0') + encodeBase32(low).padStart(6, '0');
}

export function isGatewayId(s: string): boolean {
  return s.length === GATEWAY_ID_LENGTH && isBase32(s);
}

export function clientIdFor(gatewayId: string, client: number): string {
  return gatewayId + encodeBase32(client);
}

export interface ParsedClientId {
  gatewayId: string;
  client: number;
}

/** Splits a client id into its gateway and local number, or returns null if it is not one. */
export function parseClientId(id: string): ParsedClientId | null {
  if (typeof id !== 'string' || id.length <= GATEWAY_ID_LENGTH || id.length > MAX_CLIENT_ID_LENGTH || !isBase32(id)) return null;
  const counter = id.slice(GATEWAY_ID_LENGTH);
  if (counter.charCodeAt(0) === 48 /* '0' */) return null;
  let client = 0;
  for (let i = 0; i < counter.length; i++) client = client * 32 + (VALUE[counter.charCodeAt(i)] as number);
  if (client > 2 ** 48 - 1) return null;
  return { gatewayId: id.slice(0, GATEWAY_ID_LENGTH), client };
}
