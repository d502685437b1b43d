import { describe, expect, it } from 'vitest';
import {
  clientIdFor,
  GATEWAY_ID_LENGTH,
  isGatewayId,
  MAX_CLIENT_ID_LENGTH,
  MAX_CLIENT_NUMBER,
  newGatewayId,
  parseClientId,
} from '@gateworker/protocol';
import { prng, randInt } from './helpers.js';

const CROCKFORD = /^[0-9abcdefghjkmnpqrstvwxyz]+$/;

describe('gateway ids', () => {
  it('are 12 lowercase Crockford base32 characters', () => {
    const id = newGatewayId();
    expect(id).toHaveLength(GATEWAY_ID_LENGTH);
    expect(id).toMatch(CROCKFORD);
    expect(isGatewayId(id)).toBe(true);
  });

  it('never collide across seconds, and rarely within one', () => {
    // Different seconds: the time bits differ, so ids are always distinct.
    const start = Date.UTC(2030, 0, 1);
    const acrossSeconds = new Set<string>();
    for (let i = 0; i < 20_000; i++) acrossSeconds.add(newGatewayId(start + i * 1000));
    expect(acrossSeconds.size).toBe(20_000);
    // The same second: 28 random bits. 5,000 mints expect 0.05 collisions (birthday bound);
    // allowing 2 keeps this test from flaking (P ≈ 2·10⁻⁵).
    const sameSecond = new Set<string>();
    for (let i = 0; i < 5_000; i++) sameSecond.add(newGatewayId(start));
    expect(sameSecond.size).toBeGreaterThanOrEqual(5_000 - 2);
  });

  it('carry the minting second in their leading characters, so they sort by start time', () => {
    const earlier = newGatewayId(Date.UTC(2025, 0, 1));
    const later = newGatewayId(Date.UTC(2025, 0, 1) + 64_000);
    expect(earlier.slice(0, 6) < later.slice(0, 6)).toBe(true);
    expect(newGatewayId(Date.UTC(2106, 1, 7, 6, 28, 15))).toHaveLength(GATEWAY_ID_LENGTH); // the last u32 second
    expect(newGatewayId(0)).toHaveLength(GATEWAY_ID_LENGTH);
  });

  it('isGatewayId rejects other strings', () => {
    for (const bad of ['', '0ghpn3a5vq1', '0ghpn3a5vq1zz', '0GHPN3A5VQ1Z', '0ghpn3a5vq1u', '0ghpn3a5vq1i', '0ghpn3a5vq1-', '0ghpn3a5vq1é']) {
      expect(isGatewayId(bad), bad).toBe(false);
    }
  });
});

describe('client ids', () => {
  const gw = '0ghpn3a5vq1z';

  it(`are at most ${MAX_CLIENT_ID_LENGTH} characters and round-trip at the boundaries`, () => {
    expect(MAX_CLIENT_NUMBER).toBe(2 ** 48 - 1);
    for (const client of [1, 31, 32, 1023, 1024, 2 ** 32, 2 ** 48 - 2, 2 ** 48 - 1]) {
      const id = clientIdFor(gw, client);
      expect(id.length).toBeLessThanOrEqual(MAX_CLIENT_ID_LENGTH);
      expect(id).toMatch(CROCKFORD);
      expect(parseClientId(id)).toEqual({ gatewayId: gw, client });
    }
    expect(clientIdFor(gw, 1)).toBe(`${gw}1`);
    expect(clientIdFor(gw, 2 ** 48 - 1)).toBe(`${gw}7zzzzzzzzz`);
    expect(clientIdFor(newGatewayId(), 2 ** 48 - 1)).toHaveLength(MAX_CLIENT_ID_LENGTH);
  });

  it('round-trip for random client numbers (seeded)', () => {
    const rand = prng(42);
    for (let i = 0; i < 5_000; i++) {
      const client = randInt(rand, 1, 2 ** 24) * randInt(rand, 1, 2 ** 24 - 1);
      const id = clientIdFor(gw, client);
      expect(parseClientId(id)).toEqual({ gatewayId: gw, client });
    }
  });

  it('are distinct for distinct gateways and numbers', () => {
    const a = newGatewayId();
    const ids = new Set<string>();
    for (let client = 1; client <= 5_000; client++) ids.add(clientIdFor(a, client));
    expect(ids.size).toBe(5_000);
  });

  it('parseClientId rejects malformed ids', () => {
    const bad = [
      '',
      gw, // no counter
      `${gw}0`,
      `${gw}01`, // leading zero in the counter
      `${gw}80000000000`,
      `${gw}8000000000`, // 2^48: too big (and too long)
      `${gw}zzzzzzzzzz`, // > 2^48 − 1
      `${gw}1`.toUpperCase(), // upper case
      `${gw}u`,
      `${gw}i`,
      `${gw}l`,
      `${gw}o`, // letters Crockford leaves out
      `${gw}1-`,
      `${gw} 1`,
      `${gw}1é`,
      `${gw}1\u0000`, // other characters
      `0ghpn3a5vq11`, // 11-character gateway part + counter is only 12 characters
    ];
    for (const id of bad) expect(parseClientId(id), JSON.stringify(id)).toBeNull();
    expect(parseClientId(123 as unknown as string)).toBeNull();
  });
});
