import type { LocalCommand, MembershipChange } from '@gateworker/gateway';
import { CaptureLogger } from '../../../test/helpers/capture-logger.js';
import { describe, expect, it } from 'vitest';
import { Intake } from '../src/intake.js';
import { BridgeCounters } from '../src/stats.js';
import type { BusTarget } from '../src/target.js';
import { routingKeysFor, parseBusMessage, uidKey, groupKey } from '../src/index.js';

const GW = '0000000000aa';
const OTHER = '0000000000bb';

class FakeTarget implements BusTarget {
  readonly gatewayId = GW;
  applied: LocalCommand[] = [];
  applyLocal(command: LocalCommand): number {
    this.applied.push(command);
    return 1;
  }
  membership() {
    return { uids: [], groups: [] };
  }
  on(_e: 'membership-change', _l: (c: MembershipChange) => void) {}
  off(_e: 'membership-change', _l: (c: MembershipChange) => void) {}
}

function setup(maxMessageBytes = 1000) {
  const target = new FakeTarget();
  const counters = new BridgeCounters();
  const log = new CaptureLogger(); // the intake logs rejects only (warn, throttled)
  const lines = log.lines;
  const intake = new Intake({ bridge: 'redis', target, maxMessageBytes, rejectLogIntervalMs: 60_000, counters, log });
  const push = (m: unknown) => intake.handle(Buffer.from(typeof m === 'string' ? m : JSON.stringify(m)));
  return { target, counters, lines, push };
}

describe('Intake', () => {
  it("applies to this gateway's clients only: other gateways' ids are dropped from targets and excludes", () => {
    const { target, counters, push } = setup();
    push({ op: 'sendToClient', ids: [`${GW}1`, `${OTHER}2`, `${GW}3`], data: 'x' });
    push({ op: 'sendToClient', id: `${OTHER}2`, data: 'x' }); // not ours: nothing to apply
    push({ op: 'sendToAll', exclude: [`${GW}5`, `${OTHER}5`], data: 'x' });
    push({ op: 'sendToGroup', group: 'g', exclude: `${GW}6`, dataBase64: 'AA==' });
    push({ op: 'sendToUid', uids: ['u1', 'u2'], data: 'x' });
    push({ op: 'closeClient', id: `${GW}7`, data: 'bye' });
    push({ op: 'closeClient', id: `${OTHER}7` });
    expect(target.applied).toEqual([
      { op: 'sendToClients', clients: [1, 3], payload: Buffer.from('x'), binary: false },
      { op: 'sendToAll', exclude: [5], payload: Buffer.from('x'), binary: false },
      { op: 'sendToGroups', groups: ['g'], exclude: [6], payload: Buffer.from([0]), binary: true },
      { op: 'sendToUids', uids: ['u1', 'u2'], payload: Buffer.from('x'), binary: false },
      { op: 'closeClient', client: 7, payload: Buffer.from('bye'), binary: false },
    ]);
    expect(counters).toMatchObject({ received: 7, applied: 7, deliveries: 5 });
  });

  it('counts bad messages by reason and logs one line per interval with a sample', () => {
    const { target, counters, lines, push } = setup(100);
    push('garbage');
    push('{"op":"nope"}');
    push({ op: 'sendToUid', uid: 42, data: 'x' });
    push({ op: 'sendToAll', data: 'y'.repeat(200) });
    push(Buffer.alloc(0).toString());
    expect(target.applied).toEqual([]);
    expect(counters.rejected).toEqual({ too_large: 1, not_json: 2, unknown_op: 1, invalid: 1 });
    expect(counters.received).toBe(5);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.obj).toMatchObject({ bridge: 'redis', reason: 'not_json', sample: 'garbage' });
  });
});

describe('routingKeysFor', () => {
  const keys = (m: unknown) => {
    const r = parseBusMessage(JSON.stringify(m));
    if (!r.ok) throw new Error(r.detail);
    return routingKeysFor(r.command);
  };
  it('names the keys a routing-mode publisher uses', () => {
    expect(keys({ op: 'sendToAll', data: 'x' })).toEqual(['all']);
    expect(keys({ op: 'sendToUid', uids: ['a', 'b', 'a'], data: 'x' })).toEqual(['uid.a', 'uid.b']);
    expect(keys({ op: 'sendToGroup', groups: ['g'], data: 'x' })).toEqual(['group.g']);
    expect(keys({ op: 'sendToClient', ids: [`${GW}1`, `${GW}2`, `${OTHER}1`], data: 'x' })).toEqual([`gateway.${GW}`, `gateway.${OTHER}`]);
    expect(keys({ op: 'closeClient', id: `${OTHER}1` })).toEqual([`gateway.${OTHER}`]);
  });
  it('hashes names whose key would pass 255 bytes', () => {
    expect(uidKey('é'.repeat(200))).toMatch(/^uid\.sha256\.[0-9a-f]{64}$/);
    expect(groupKey('g'.repeat(249))).toBe(`group.${'g'.repeat(249)}`);
    expect(groupKey('g'.repeat(250))).toMatch(/^group\.sha256\./);
  });
});
