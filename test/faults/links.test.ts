/**
 * Distributed faults on one machine, with real role processes (`gateworker register|gateway|worker`)
 * and a TCP proxy between the worker and the gateway that can be reset or blackholed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectWs, type WsClient } from '../helpers/clients.js';
import { msgStartsWith } from '../helpers/log-follower.js';
import { TcpProxy } from './proxy.js';
import { RoleSet, type RoleProcess } from './roles.js';

const SECRET = 'faults-test-secret-0123456789';
const LINKS = { heartbeat: { interval: '300ms', timeout: '1200ms' } };
const LOG_LEVEL = process.env['FAULTS_DEBUG'] !== undefined ? 'debug' : 'info';

/** Sends `total` numbered messages to uid u1, one every `every` ms, from a timer (not tied to any event). */
const HANDLER = `
export default {
  onMessage(client, message) {
    if (message === 'bind') {
      client.bindUid('u1');
      client.send('bound');
      return;
    }
    const m = /^go:(\\d+):(\\d+)$/.exec(message);
    if (m === null) return client.send(message);
    const total = Number(m[1]);
    let n = 0;
    const timer = setInterval(() => {
      n++;
      void client.gateway.sendToUid('u1', String(n));
      if (n >= total) clearInterval(timer);
    }, Number(m[2]));
  },
};
`;

let roles: RoleSet | null = null;
const proxies: TcpProxy[] = [];
const clients: WsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  for (const p of proxies.splice(0)) await p.close();
  await roles?.stopAll();
  roles = null;
});

interface Topology {
  roles: RoleSet;
  register: RoleProcess;
  gateway: RoleProcess;
  worker: RoleProcess;
  proxy: TcpProxy;
  wsUrl: string;
  gatewayId: string;
}

/** register + gateway (announced at the proxy's address) + worker, all separate processes. */
async function topology(handler = HANDLER): Promise<Topology> {
  const set = (roles = new RoleSet());
  // Every address on port 0, read back from the start lines. The proxy is pointed at the
  // gateway's internal port once it is bound (nothing dials the proxy before the worker starts).
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 0 });
  proxies.push(proxy);
  set.writeFile('handler.mjs', handler);
  const register = set.start('register', 'register', { secret: SECRET, links: LINKS, logLevel: LOG_LEVEL, register: { listen: '127.0.0.1:0' } });
  const registerAddress = String((await register.waitForLog(msgStartsWith('register listening'), 20_000, 'register listening'))['address']);
  const gateway = set.start('gateway', 'gateway', {
    secret: SECRET,
    links: LINKS,
    logLevel: LOG_LEVEL,
    gateway: {
      listen: [{ url: 'ws://127.0.0.1:0/' }],
      internal: '127.0.0.1:0',
      advertise: proxy.address,
      registers: [registerAddress],
    },
  });
  const started = await gateway.waitForLog(msgStartsWith('gateway started'), 20_000, 'gateway started');
  proxy.retarget(started['internal'] as { host: string; port: number });
  const worker = set.start('worker', 'worker', {
    secret: SECRET,
    links: LINKS,
    logLevel: LOG_LEVEL,
    worker: { handler: './handler.mjs', registers: [registerAddress] },
  });
  await worker.waitForLog(msgStartsWith('worker ready'), 20_000, 'worker ready');
  return {
    roles: set,
    register,
    gateway,
    worker,
    proxy,
    wsUrl: (started['listeners'] as string[])[0] ?? '',
    gatewayId: String(started['gatewayId']),
  };
}

async function client(url: string): Promise<WsClient> {
  const c = await connectWs(url);
  clients.push(c);
  return c;
}

/** Reads numbered messages until `last`, returning them in arrival order. */
async function collect(ws: WsClient, last: number, onEach: (n: number) => Promise<void> | void = () => {}): Promise<number[]> {
  const got: number[] = [];
  for (;;) {
    const n = Number(await ws.next(30_000));
    got.push(n);
    await onEach(n);
    if (n === last) return got;
  }
}

describe('faults: worker ⇄ gateway link', () => {
  it('commands survive a reset link and a blackholed link: every send applied exactly once, in order', async () => {
    const t = await topology();
    const ws = await client(t.wsUrl);
    ws.send('bind');
    expect(await ws.next()).toBe('bound');
    const total = 300;
    ws.send(`go:${total}:5`);
    let lostLogs = 0;
    const got = await collect(ws, total, async (n) => {
      if (n === 30) {
        // Reset: both ends see the link die at once; reconnects are refused for a while.
        t.proxy.setMode('reset');
        await t.worker.waitForLog(msgStartsWith('link to gateway lost'), 10_000, 'the link loss');
        await t.worker.waitForLog(msgStartsWith('cannot connect to gateway'), 10_000, 'a refused reconnect');
        lostLogs++;
        t.proxy.setMode('pass');
      }
      if (n === 120) {
        // Blackhole: bytes vanish, nothing closes; only heartbeats can tell (timeout 1.2 s): the
        // first side to notice closes its socket (the proxy then closes the other).
        const before = t.proxy.closedConnections;
        t.proxy.setMode('blackhole');
        await t.proxy.closedMoreThan(before, 20_000);
        lostLogs++;
        t.proxy.setMode('pass');
      }
    });
    if (process.env['FAULTS_DEBUG'] !== undefined) {
      for (const p of [t.gateway, t.worker])
        for (const l of p.logs) if ((l.level ?? 0) >= 40 || /stream|link/.test(String(l.msg))) console.log(p.name, JSON.stringify(l));
    }
    expect(lostLogs).toBe(2);
    // 0 lost, 0 duplicated, in order.
    expect(got).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(t.proxy.droppedBytes).toBeGreaterThan(0);
    // Nothing exited.
    for (const p of [t.register, t.gateway, t.worker]) expect(p.child.exitCode).toBeNull();
  }, 90_000);

  it('a worker that reaches another gateway at a dialled address refuses the link, logging both ids', async () => {
    const t = await topology();
    // A second gateway; the proxy (where the first is announced) now leads to it.
    const registerAddress = String((await t.register.waitForLog(msgStartsWith('register listening')))['address']);
    const other = t.roles.start('gateway2', 'gateway', {
      secret: SECRET,
      links: LINKS,
      logLevel: LOG_LEVEL,
      gateway: { listen: [{ url: 'ws://127.0.0.1:0/' }], internal: '127.0.0.1:0', registers: [registerAddress] },
    });
    const otherStarted = await other.waitForLog(msgStartsWith('gateway started'));
    const otherId = String(otherStarted.gatewayId);
    t.proxy.retarget(otherStarted['internal'] as { host: string; port: number });
    t.proxy.setMode('reset');
    t.proxy.setMode('pass');
    const refused = await t.worker.waitForLog(
      (l) => l['code'] === 'GW_ERR_WRONG_GATEWAY' || (typeof l.msg === 'string' && l.msg.includes('reached gateway')),
      20_000,
      'the refusal',
    );
    expect(String(refused.msg)).toContain(t.gatewayId);
    expect(String(refused.msg)).toContain(otherId);
    await other.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.includes('internal connection refused'),
      10_000,
      'the gateway side of the refusal',
    );
  }, 60_000);
});
