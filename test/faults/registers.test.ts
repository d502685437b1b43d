/**
 * Register faults with real role processes: the registers are advisory; losing them loses nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectWs, type WsClient } from '../helpers/clients.js';
import { freePorts, type LogLine } from '../helpers/cluster.js';
import { msgStartsWith } from '../helpers/log-follower.js';
import { RoleSet, type RoleProcess } from './roles.js';

const SECRET = 'faults-test-secret-0123456789';
const LINKS = { heartbeat: { interval: '300ms', timeout: '1200ms' } };
const ECHO = `export default { onMessage(client, message) { client.send(message); } };`;

let roles: RoleSet | null = null;
const clients: WsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await roles?.stopAll();
  roles = null;
});

const linkTrouble = (l: LogLine): boolean =>
  typeof l.msg === 'string' && /link to gateway lost|internal link closed|gateway given up|gateway no longer listed/.test(l.msg);

function startRegister(set: RoleSet, name: string, address: string, secret = SECRET): RoleProcess {
  return set.start(name, 'register', { secret, links: LINKS, register: { listen: address } });
}

describe('faults: registers', () => {
  it('a register SIGKILLed under load and restarted: 0 lost replies, 0 link closes, nobody exits', async () => {
    const set = (roles = new RoleSet());
    set.writeFile('echo.mjs', ECHO);
    // Port 0 everywhere, read back; the restarted register binds the first one's port again.
    const register = startRegister(set, 'register', '127.0.0.1:0');
    const registerAddress = String((await register.waitForLog(msgStartsWith('register listening')))['address']);
    const gateway = set.start('gateway', 'gateway', {
      secret: SECRET,
      links: LINKS,
      gateway: { listen: [{ url: 'ws://127.0.0.1:0/' }], internal: '127.0.0.1:0', registers: [registerAddress] },
    });
    const wsUrl = ((await gateway.waitForLog(msgStartsWith('gateway started')))['listeners'] as string[])[0] ?? '';
    const workers = [0, 1].map((i) =>
      set.start(`worker${i}`, 'worker', { secret: SECRET, links: LINKS, worker: { handler: './echo.mjs', registers: [registerAddress] } }),
    );
    await Promise.all(workers.map((w) => w.waitForLog(msgStartsWith('worker ready'))));

    // 20 clients, each sending a numbered message every 20 ms and counting echoes.
    const load = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const ws = await connectWs(wsUrl);
        clients.push(ws);
        const state = { sent: 0, echoed: [] as number[] };
        ws.ws.on('message', (data: Buffer) => state.echoed.push(Number(String(data).split(':')[1])));
        const timer = setInterval(() => ws.send(`${i}:${++state.sent}`), 20);
        return { ws, state, timer };
      }),
    );
    const echoedAtLeast = async (n: number | ((c: (typeof load)[number]) => number), what: string): Promise<void> => {
      const deadline = performance.now() + 30_000;
      const target = typeof n === 'number' ? () => n : n;
      while (load.some((c) => c.state.echoed.length < target(c))) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await echoedAtLeast(20, 'traffic before the fault');
    register.kill('SIGKILL');
    await register.exited;
    await gateway.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('lost the register'), 10_000, 'the gateway to see the register go');
    // Traffic keeps flowing while no register exists.
    const during = Math.max(...load.map((c) => c.state.echoed.length)) + 20;
    await echoedAtLeast(during, 'traffic while the register is down');
    const again = startRegister(set, 'register-again', registerAddress);
    await again.waitForLog(msgStartsWith('register listening'));
    await gateway.waitForLog(msgStartsWith(`connected to register ${registerAddress} again`), 15_000, 'the gateway to reconnect');
    await Promise.all(
      workers.map((w) => w.waitForLog(msgStartsWith(`connected to register ${registerAddress} again`), 15_000, 'the worker to reconnect')),
    );
    await echoedAtLeast(during + 20, 'traffic after the register is back');
    for (const c of load) clearInterval(c.timer);
    const sentTotal = load.map((c) => c.state.sent);
    await echoedAtLeast((c) => c.state.sent, 'the last echoes');
    for (const [i, c] of load.entries()) {
      // Every message answered exactly once, in order.
      expect(c.state.echoed, `client ${i}`).toEqual(Array.from({ length: sentTotal[i] as number }, (_, k) => k + 1));
    }
    for (const p of [gateway, ...workers]) {
      expect(p.logs.filter(linkTrouble), p.name).toEqual([]);
      expect(p.child.exitCode, p.name).toBeNull();
    }
  }, 120_000);

  it('a worker started before any register keeps trying, then serves once one appears', async () => {
    const set = (roles = new RoleSet());
    // The worker must know the register's address before the register exists: the one reserved port.
    const [registerPort] = await freePorts(1);
    const registerAddress = `127.0.0.1:${registerPort}`;
    set.writeFile('echo.mjs', ECHO);
    const worker = set.start('worker', 'worker', { secret: SECRET, links: LINKS, worker: { handler: './echo.mjs', registers: [registerAddress] } });
    await worker.waitForLog(msgStartsWith('cannot connect to register'), 15_000, 'the first failure');
    const register = startRegister(set, 'register', registerAddress);
    await register.waitForLog(msgStartsWith('register listening'));
    const gateway = set.start('gateway', 'gateway', {
      secret: SECRET,
      links: LINKS,
      gateway: { listen: [{ url: 'ws://127.0.0.1:0/' }], internal: '127.0.0.1:0', registers: [registerAddress] },
    });
    const wsUrl = ((await gateway.waitForLog(msgStartsWith('gateway started')))['listeners'] as string[])[0] ?? '';
    await worker.waitForLog(msgStartsWith('worker ready'), 30_000, 'worker ready');
    const ws = await connectWs(wsUrl);
    clients.push(ws);
    ws.send('hello');
    expect(await ws.next(10_000)).toBe('hello');
    expect(worker.child.exitCode).toBeNull();
  }, 90_000);

  it('a worker whose secret the registers refuse exits 1 at once, naming the authentication error', async () => {
    const set = (roles = new RoleSet());
    set.writeFile('echo.mjs', ECHO);
    const register = startRegister(set, 'register', '127.0.0.1:0');
    const registerAddress = String((await register.waitForLog(msgStartsWith('register listening')))['address']);
    const worker = set.start('worker', 'worker', {
      secret: 'another-secret-0123456789',
      links: LINKS,
      worker: { handler: './echo.mjs', registers: [registerAddress] },
    });
    const exit = await worker.exited;
    expect(exit.code).toBe(1);
    const fatal = worker.logs.find((l) => (l.level ?? 0) >= 60);
    expect(String(fatal?.msg)).toMatch(/GW_ERR_AUTH_FAILED|authentication failed/);
    expect(worker.stderr).toMatch(/GW_ERR_AUTH_FAILED|authentication failed/);
  }, 60_000);
});
