import { describe, expect, it } from 'vitest';
import { Registry } from '../src/registry.js';
import { gatewayInfo, workerInfo } from './helpers.js';

describe('Registry', () => {
  it('announces a gateway once and lists it', () => {
    const r = new Registry<string>();
    const g = gatewayInfo('g1');
    expect(r.announce('link1', g)).toEqual({ kind: 'up', gateway: g });
    expect(r.gatewayList()).toEqual([g]);
    expect(r.gatewayCount).toBe(1);
  });

  it('treats a repeated Announce on the same link as an update, changed only when identity fields differ', () => {
    const r = new Registry<string>();
    const g = gatewayInfo('g1');
    r.announce('link1', g);
    expect(r.announce('link1', { ...g, stats: { ...g.stats, clients: 5 } })).toMatchObject({ kind: 'update', changed: false, replaced: null });
    expect(r.announce('link1', { ...g, address: '10.0.0.1:2900' })).toMatchObject({ kind: 'update', changed: true, replaced: null });
    expect(r.gatewayList()[0]?.address).toBe('10.0.0.1:2900');
  });

  it('lets the newest link of the same process take a gateway over; the old link no longer owns it', () => {
    const r = new Registry<string>();
    const g = gatewayInfo('g1');
    r.announce('old', g);
    expect(r.announce('new', g)).toMatchObject({ kind: 'update', changed: false, replaced: 'old' });
    expect(r.remove('old')).toEqual({ gatewaysDown: [], workersGone: [] });
    expect(r.gatewayList()).toHaveLength(1);
    expect(r.remove('new').gatewaysDown).toEqual(['g1']);
    expect(r.gatewayList()).toEqual([]);
  });

  it('refuses the same gatewayId from a different process and keeps the first', () => {
    const r = new Registry<string>();
    const g = gatewayInfo('g1');
    r.announce('a', g);
    const result = r.announce('b', { ...g, pid: g.pid + 1 });
    expect(result.kind).toBe('rejected');
    expect(r.gatewayList()).toEqual([g]);
    expect(r.remove('b').gatewaysDown).toEqual([]);
  });

  it('refuses a second gateway id on one link', () => {
    const r = new Registry<string>();
    r.announce('a', gatewayInfo('g1'));
    expect(r.announce('a', gatewayInfo('g2')).kind).toBe('rejected');
    expect(r.gatewayCount).toBe(1);
  });

  it('records gateway stats only for an owner that announced', () => {
    const r = new Registry<string>();
    const stats = { clients: 3, uids: 2, groups: 1, workers: 2, pending: 0 };
    expect(r.updateGatewayStats('a', stats)).toBe(false);
    r.announce('a', gatewayInfo('g1'));
    expect(r.updateGatewayStats('a', stats)).toBe(true);
    expect(r.gatewayList()[0]?.stats).toEqual(stats);
  });

  it('returns copies: mutating a snapshot does not change the registry', () => {
    const r = new Registry<string>();
    r.announce('a', gatewayInfo('g1'));
    const [first] = r.gatewayList();
    if (first === undefined) throw new Error('missing');
    first.stats.clients = 99;
    expect(r.gatewayList()[0]?.stats.clients).toBe(0);
  });

  it('tracks subscribers and their workers; removal forgets both', () => {
    const r = new Registry<string>();
    const w = workerInfo('w1');
    r.subscribe('wlink', w);
    r.subscribe('clink', null);
    expect([...r.subscribers()]).toEqual(['wlink', 'clink']);
    expect(r.workerList()).toEqual([w]);
    expect(r.remove('wlink')).toEqual({ gatewaysDown: [], workersGone: ['w1'] });
    expect([...r.subscribers()]).toEqual(['clink']);
    expect(r.workerCount).toBe(0);
  });

  it('updates a worker by report, and a newer link of the same worker wins', () => {
    const r = new Registry<string>();
    r.subscribe('old', workerInfo('w1', { state: 'starting' }));
    expect(r.reportWorker('old', workerInfo('w1', { state: 'ready' })).replaced).toBeNull();
    expect(r.workerList()[0]?.state).toBe('ready');
    expect(r.subscribe('new', workerInfo('w1', { state: 'draining' })).replaced).toBe('old');
    expect(r.remove('old').workersGone).toEqual([]);
    expect(r.workerList()[0]?.state).toBe('draining');
  });

  it('drops the previous worker when a link reports another worker id', () => {
    const r = new Registry<string>();
    r.reportWorker('a', workerInfo('w1'));
    r.reportWorker('a', workerInfo('w2'));
    expect(r.workerList().map((w) => w.workerId)).toEqual(['w2']);
  });

  it('snapshot holds gateways and workers', () => {
    const r = new Registry<number>();
    r.announce(1, gatewayInfo('g1'));
    r.subscribe(2, workerInfo('w1'));
    const snap = r.snapshot();
    expect(snap.gateways.map((g) => g.gatewayId)).toEqual(['g1']);
    expect(snap.workers.map((w) => w.workerId)).toEqual(['w1']);
  });
});
