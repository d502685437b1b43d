import { Op } from '@gateworker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway, MembershipChange } from '../src/index.js';
import { FakeWorker, startGateway, urls } from './helpers.js';
import { connectWs, connectLine, type WsClient } from '../../../test/helpers/clients.js';
import { eventually } from '../../../test/helpers/wait.js';

// Gateway.applyLocal (the bus bridges' way in) and the membership-change events routing bindings follow.

let gateway: Gateway | null = null;
afterEach(async () => {
  await gateway?.close();
  gateway = null;
});

async function setup(count: number) {
  const g = (gateway = await startGateway());
  const worker = await FakeWorker.connect(g);
  const clients: WsClient[] = [];
  const nums: number[] = [];
  for (let i = 0; i < count; i++) {
    clients.push(await connectWs(urls(g).ws));
    nums.push((await worker.event(Op.ClientConnect)).client);
  }
  return { g, worker, clients, nums };
}

describe('Gateway.applyLocal', () => {
  it('sends by all / clients / uids / groups with exclude, one copy per client', async () => {
    const { g, worker, clients, nums } = await setup(3);
    const [a, b, c] = clients as [WsClient, WsClient, WsClient];
    const [na, nb, nc] = nums as [number, number, number];
    worker.send({ op: Op.BindUid, client: na, uid: 'u1' });
    worker.send({ op: Op.BindUid, client: nb, uid: 'u1' });
    worker.send({ op: Op.JoinGroup, client: nb, group: 'g1' });
    worker.send({ op: Op.JoinGroup, client: nb, group: 'g2' });
    worker.send({ op: Op.JoinGroup, client: nc, group: 'g2' });
    await eventually(() => g.stats().groups === 2 && g.stats().uids === 1, 5_000, 'membership applied');

    const text = (s: string) => Buffer.from(s);
    expect(g.applyLocal({ op: 'sendToAll', payload: text('all'), binary: false, exclude: [nb] })).toBe(2);
    expect(await a.next()).toBe('all');
    expect(await c.next()).toBe('all');
    expect(g.applyLocal({ op: 'sendToUids', uids: ['u1', 'u1', 'nobody'], payload: text('uid'), binary: false })).toBe(2);
    expect(await a.next()).toBe('uid');
    expect(await b.next()).toBe('uid');
    expect(g.applyLocal({ op: 'sendToGroups', groups: ['g1', 'g2'], payload: text('grp'), binary: false, exclude: [nc] })).toBe(1);
    expect(await b.next()).toBe('grp');
    expect(g.applyLocal({ op: 'sendToClients', clients: [nc, nc, 999], payload: Buffer.from([1, 2]), binary: true })).toBe(1);
    const bin = await c.nextFrame();
    expect(bin.binary).toBe(true);
    expect([...bin.data]).toEqual([1, 2]);
    // Nothing else arrived: b was excluded from "all", c from "grp".
    g.applyLocal({ op: 'sendToAll', payload: text('end'), binary: false });
    for (const cl of clients) expect(await cl.next()).toBe('end');
  });

  it('closeClient sends the last message and closes; a gone client is a no-op', async () => {
    const { g, clients, nums } = await setup(1);
    const [a] = clients as [WsClient];
    expect(g.applyLocal({ op: 'closeClient', client: nums[0] as number, payload: Buffer.from('bye'), binary: false })).toBe(1);
    expect(await a.next()).toBe('bye');
    expect((await a.closed).code).toBe(1000);
    expect(g.applyLocal({ op: 'closeClient', client: 12345, payload: null, binary: false })).toBe(0);
  });

  it('frames for tcp clients too', async () => {
    const g = (gateway = await startGateway());
    await FakeWorker.connect(g);
    const line = await connectLine(urls(g).tcpPort);
    await eventually(() => g.stats().clients === 1, 5_000, 'tcp client accepted');
    g.applyLocal({ op: 'sendToAll', payload: Buffer.from('hello'), binary: false });
    expect(await line.next()).toBe('hello');
    void line.close();
  });
});

describe('membership-change events', () => {
  it('fire on the first / last holder of a uid or group only', async () => {
    const { g, worker, clients, nums } = await setup(2);
    const changes: MembershipChange[] = [];
    g.on('membership-change', (c) => changes.push(c));
    const [na, nb] = nums as [number, number];
    worker.send({ op: Op.BindUid, client: na, uid: 'u1' });
    worker.send({ op: Op.BindUid, client: nb, uid: 'u1' }); // second holder: no event
    worker.send({ op: Op.JoinGroup, client: na, group: 'g' });
    worker.send({ op: Op.JoinGroup, client: nb, group: 'g' });
    worker.send({ op: Op.UnbindUid, client: na }); // u1 still held by b
    worker.send({ op: Op.BindUid, client: na, uid: 'u2' });
    await eventually(() => changes.length >= 3, 5_000, 'three changes');
    expect(changes).toEqual([
      { kind: 'uid', key: 'u1', present: true },
      { kind: 'group', key: 'g', present: true },
      { kind: 'uid', key: 'u2', present: true },
    ]);
    expect(g.membership()).toEqual({ uids: expect.arrayContaining(['u1', 'u2']) as unknown, groups: ['g'] });
    changes.length = 0;
    void clients[1]?.close(); // b leaves: last holder of u1; g still has a
    await eventually(() => changes.length >= 1, 5_000, 'u1 gone');
    worker.send({ op: Op.Ungroup, group: 'g' });
    await eventually(() => changes.length >= 2, 5_000, 'g dissolved');
    expect(changes).toEqual([
      { kind: 'uid', key: 'u1', present: false },
      { kind: 'group', key: 'g', present: false },
    ]);
  });
});
