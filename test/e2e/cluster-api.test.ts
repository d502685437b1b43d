import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { gatewayOf, OPS_HANDLER, RpcClient } from '../helpers/rpc.js';
import { eventually } from '../helpers/wait.js';

// Two gateways, two workers, started through the CLI; every call of the cluster API, with uid and
// group operations spanning both gateways.

let cluster: Cluster;
const clients: RpcClient[] = [];
/** Four clients: a and c on one gateway, b and d on the other. */
let a: RpcClient, b: RpcClient, c: RpcClient, d: RpcClient;

async function connect(): Promise<RpcClient> {
  const client = await RpcClient.connect(cluster.wsUrl);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  cluster = await startCluster({ gateways: 2, workers: 2, handler: OPS_HANDLER });
  // Each gateway process accepts from the shared listening socket itself, so which one gets a
  // connection is up to the kernel (and often uneven): connect until both gateways hold two of
  // ours, then keep just those four (the others would receive the broadcasts below).
  const byGateway = new Map<string, RpcClient[]>();
  for (let i = 0; i < 60 && [...byGateway.values()].filter((l) => l.length >= 2).length < 2; i++) {
    const client = await connect();
    const list = byGateway.get(gatewayOf(client.id)) ?? [];
    list.push(client);
    byGateway.set(gatewayOf(client.id), list);
  }
  const [first, second] = [...byGateway.values()].filter((l) => l.length >= 2);
  if (first === undefined || second === undefined) throw new Error('clients did not spread over both gateways');
  [a, c] = first as [RpcClient, RpcClient];
  [b, d] = second as [RpcClient, RpcClient];
  const kept = [a, b, c, d];
  await Promise.all(clients.filter((cl) => !kept.includes(cl)).map((cl) => cl.close()));
  clients.splice(0, clients.length, ...kept);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((cl) => cl.close().catch(() => {})));
  await cluster?.stop();
});

describe('cluster API across two gateways', () => {
  it('client ids are short, distinct, and name their gateway', () => {
    const ids = clients.map((cl) => cl.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{13,22}$/);
    expect(gatewayOf(a.id)).not.toBe(gatewayOf(b.id));
  });

  it('echoes non-JSON messages', async () => {
    a.ws.send('plain text');
    expect(await a.nextPush()).toBe('plain text');
  });

  it('sendToClient reaches a client on the other gateway, one id or several', async () => {
    await a.call('sendToClient', b.id, 'to-b');
    expect(await b.nextPush()).toBe('to-b');
    await a.call('sendToClient', [b.id, c.id], 'to-b-and-c');
    expect(await b.nextPush()).toBe('to-b-and-c');
    expect(await c.nextPush()).toBe('to-b-and-c');
  });

  it('uids: bind across gateways, sendToUid, lookups, unbind', async () => {
    await a.call('bindUid', a.id, 'alice');
    await d.call('client.bindUid', 'alice');
    await b.call('bindUid', b.id, 'bob');
    expect(await c.call('isUidOnline', 'alice')).toBe(true);
    expect(((await c.call('getClientIdsByUid', 'alice')) as string[]).sort()).toEqual([a.id, d.id].sort());
    expect(await c.call('getUidByClientId', d.id)).toBe('alice');
    expect(((await c.call('getAllUids')) as string[]).sort()).toEqual(['alice', 'bob']);
    await c.call('sendToUid', 'alice', 'hi alice');
    expect(await a.nextPush()).toBe('hi alice');
    expect(await d.nextPush()).toBe('hi alice');
    await c.call('sendToUid', ['alice', 'bob'], 'hi both');
    expect(await a.nextPush()).toBe('hi both');
    expect(await b.nextPush()).toBe('hi both');
    expect(await d.nextPush()).toBe('hi both');
    expect(((await a.call('whoami')) as { uid: string }).uid).toBe('alice');
    await c.call('unbindUid', d.id);
    await b.call('client.unbindUid');
    expect(await c.call('getClientIdsByUid', 'alice')).toEqual([a.id]);
    expect(await c.call('isUidOnline', 'bob')).toBe(false);
    expect(await c.call('getUidByClientId', b.id)).toBeNull();
  });

  it('groups: join across gateways, sendToGroup with exclude, counts and lists, leave, ungroup', async () => {
    await a.call('client.joinGroup', 'room');
    await b.call('joinGroup', b.id, 'room');
    await c.call('joinGroup', d.id, 'room');
    await c.call('joinGroup', c.id, 'other');
    expect(await a.call('getClientCountByGroup', 'room')).toBe(3);
    expect(((await a.call('getClientIdsByGroup', 'room')) as string[]).sort()).toEqual([a.id, b.id, d.id].sort());
    expect(((await a.call('getAllGroupIds')) as string[]).sort()).toEqual(['other', 'room']);
    expect(await a.call('getUidCountByGroup', 'room')).toBe(1); // a is alice; b and d unbound now
    const sessions = (await a.call('getClientSessionsByGroup', 'room')) as Record<string, { connects: number }>;
    expect(Object.keys(sessions).sort()).toEqual([a.id, b.id, d.id].sort());
    expect(sessions[b.id]?.connects).toBe(1);

    await c.call('sendToGroup', 'room', 'to room', { exclude: a.id });
    expect(await b.nextPush()).toBe('to room');
    expect(await d.nextPush()).toBe('to room');
    await c.call('sendToGroup', ['room', 'other'], 'to both groups');
    for (const cl of [a, b, c, d]) expect(await cl.nextPush()).toBe('to both groups');
    expect(a.pushes()).toEqual([]);

    await d.call('leaveGroup', b.id, 'room');
    await a.call('client.leaveGroup', 'room');
    expect(await c.call('getClientIdsByGroup', 'room')).toEqual([d.id]);
    await b.call('ungroup', 'room');
    expect(await c.call('getClientCountByGroup', 'room')).toBe(0);
    expect(await c.call('getAllGroupIds')).toEqual(['other']);
    await c.call('leaveGroup', c.id, 'other');
  });

  it('sendToAll reaches every client on both gateways, minus exclusions', async () => {
    await a.call('sendToAll', 'everyone', { exclude: [b.id, c.id] });
    expect(await a.nextPush()).toBe('everyone');
    expect(await d.nextPush()).toBe('everyone');
    await a.call('sendToAll', 'all of you');
    for (const cl of clients) expect(await cl.nextPush()).toBe('all of you');
    expect(b.pushes()).toEqual([]);
    expect(c.pushes()).toEqual([]);
  });

  it('sessions: written back after a callback, persist across messages, set/update/get from elsewhere', async () => {
    await b.call('session.set', { nick: 'bee' });
    expect(((await b.call('whoami')) as { session: Record<string, unknown> }).session).toEqual({ connects: 1, nick: 'bee' });
    expect(await a.call('getSession', b.id)).toEqual({ connects: 1, nick: 'bee' });
    await a.call('updateSession', b.id, { prefs: { theme: 'dark' } });
    await a.call('updateSession', b.id, { prefs: { lang: 'en' } });
    expect(await c.call('getSession', b.id)).toEqual({ connects: 1, nick: 'bee', prefs: { theme: 'dark', lang: 'en' } });
    expect(((await b.call('whoami')) as { session: unknown }).session).toEqual({ connects: 1, nick: 'bee', prefs: { theme: 'dark', lang: 'en' } });
    await a.call('setSession', b.id, { fresh: true });
    expect(((await b.call('whoami')) as { session: unknown }).session).toEqual({ fresh: true });
    await b.call('session.replace', { replaced: 1 });
    expect(await a.call('getSession', b.id)).toEqual({ replaced: 1 });
    const all = (await a.call('getAllClientSessions')) as Record<string, unknown>;
    expect(Object.keys(all).sort()).toEqual(clients.map((cl) => cl.id).sort());
  });

  it('counts and presence', async () => {
    expect(await a.call('getAllClientCount')).toBe(clients.length);
    expect(await a.call('isOnline', d.id)).toBe(true);
    expect(await a.call('isOnline', gatewayOf(d.id) + 'zzzzzz')).toBe(false);
  });

  it('a malformed client id is a typed error', async () => {
    const r = await a.request('getSession', 'not-an-id');
    expect(r.ok).toBe(false);
    expect(r.code).toBe('GW_ERR_INVALID_CLIENT_ID');
  });

  it('onClose sees the session and uid; closeClient delivers its last message first', async () => {
    const e = await connect();
    await e.call('session.set', { watcher: a.id, nick: 'eve' });
    await e.call('client.bindUid', 'eve');
    const closed = e.ws.closed;
    await b.call('closeClient', e.id, 'bye eve');
    expect(await e.nextPush()).toBe('bye eve');
    await closed;
    const report = JSON.parse(await a.nextPush()) as { closed: string; session: { nick: string }; uid: string };
    expect(report).toMatchObject({ closed: e.id, session: { nick: 'eve' }, uid: 'eve' });
    expect(await a.call('isOnline', e.id)).toBe(false);
    clients.splice(clients.indexOf(e), 1);
  });

  it('the client can close itself with a last message', async () => {
    const f = await connect();
    const closed = f.ws.closed;
    await f.request('client.close', 'last words');
    expect(await f.nextPush()).toBe('last words');
    await closed;
    await eventually(async () => (await a.call('isOnline', f.id)) === false);
    clients.splice(clients.indexOf(f), 1);
  });
});
