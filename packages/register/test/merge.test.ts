import { describe, expect, it } from 'vitest';
import type { ClusterStatus } from '@gateworker/protocol';
import { GatewayView, mergeStatus } from '../src/merge.js';
import { gatewayInfo, workerInfo } from './helpers.js';

describe('GatewayView', () => {
  it('reports up once, and down only when no source knows the gateway', () => {
    const view = new GatewayView<string>();
    const g = gatewayInfo('g1');
    expect(view.up('A', g)).toEqual([{ kind: 'up', gateway: g }]);
    expect(view.up('B', g)).toEqual([]);
    expect(view.down('A', 'g1')).toEqual([]);
    expect(view.gateways.has('g1')).toBe(true);
    expect(view.down('B', 'g1')).toEqual([{ kind: 'down', gatewayId: 'g1' }]);
    expect(view.gateways.size).toBe(0);
  });

  it('ignores a down for a gateway the source did not know', () => {
    const view = new GatewayView<string>();
    view.up('A', gatewayInfo('g1'));
    expect(view.down('B', 'g1')).toEqual([]);
  });

  it('replace() diffs a full list against what the source knew', () => {
    const view = new GatewayView<string>();
    const [g1, g2, g3] = [gatewayInfo('g1'), gatewayInfo('g2'), gatewayInfo('g3')];
    view.replace('A', [g1, g2]);
    expect(view.replace('A', [g2, g3])).toEqual([
      { kind: 'down', gatewayId: 'g1' },
      { kind: 'up', gateway: g3 },
    ]);
    expect([...view.gateways.keys()].sort()).toEqual(['g2', 'g3']);
  });

  it('dropSource() reports down only what that source alone knew', () => {
    const view = new GatewayView<string>();
    const [g1, g2] = [gatewayInfo('g1'), gatewayInfo('g2')];
    view.replace('A', [g1, g2]);
    view.replace('B', [g2]);
    expect(view.dropSource('A')).toEqual([{ kind: 'down', gatewayId: 'g1' }]);
    expect([...view.gateways.keys()]).toEqual(['g2']);
    expect(view.replace('A', [g1, g2])).toEqual([{ kind: 'up', gateway: g1 }]);
  });

  it('reports update when identity fields change, silently refreshes stats', () => {
    const view = new GatewayView<string>();
    const g = gatewayInfo('g1');
    view.up('A', g);
    const busier = { ...g, stats: { ...g.stats, clients: 10 } };
    expect(view.up('A', busier)).toEqual([]);
    expect(view.gateways.get('g1')?.stats.clients).toBe(10);
    const moved = { ...g, address: '10.1.1.1:2900' };
    expect(view.up('B', moved)).toEqual([{ kind: 'update', gateway: moved }]);
  });
});

describe('mergeStatus', () => {
  const reg = (nodeId: string): ClusterStatus['register'] => ({ nodeId, pid: 1, uptimeMs: 5 });

  it('unions gateways and workers by id, first answer wins, and lists every register', () => {
    const g1 = gatewayInfo('g1');
    const g2 = gatewayInfo('g2');
    const w1 = workerInfo('w1');
    const merged = mergeStatus(
      [
        { address: 'a:1', status: { register: reg('r1'), gateways: [g1], workers: [w1] } },
        { address: 'b:2', status: { register: reg('r2'), gateways: [{ ...g1, stats: { ...g1.stats, clients: 9 } }, g2], workers: [w1] } },
      ],
      [{ address: 'c:3', error: 'ECONNREFUSED: connect refused' }],
    );
    expect(merged.register.nodeId).toBe('r1');
    expect(merged.gateways).toEqual([g1, g2]);
    expect(merged.workers).toEqual([w1]);
    expect(merged.registers).toEqual([
      { address: 'a:1', register: reg('r1'), error: null },
      { address: 'b:2', register: reg('r2'), error: null },
      { address: 'c:3', register: null, error: 'ECONNREFUSED: connect refused' },
    ]);
  });

  it('needs at least one answer', () => {
    expect(() => mergeStatus([], [])).toThrow(RangeError);
  });
});
