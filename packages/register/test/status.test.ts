import { afterEach, describe, expect, it } from 'vitest';
import { RegisterErrorCode, type RegisterError } from '../src/index.js';
import { gatewayInfo, Harness, workerInfo } from './helpers.js';
import { eventually } from '../../../test/helpers/wait.js';

const h = new Harness();
afterEach(() => h.closeAll());

describe('status', () => {
  it('answers with gateways (live stats) and workers (state changes at once)', async () => {
    const { server, address, logger } = await h.server({ nodeId: 'reg-status' });
    const g = gatewayInfo('gw0000000st1');
    const { client: gateway } = h.client({ registers: [address], role: 'gateway', gateway: g, statsIntervalMs: 20 });
    const { client: worker } = h.client({ registers: [address], role: 'worker', worker: workerInfo('w-st', { state: 'starting' }) });
    await Promise.all([gateway.ready(), worker.ready()]);

    const stats = { clients: 42, uids: 7, groups: 3, workers: 1, pending: 0 };
    gateway.updateStats(stats);
    worker.updateWorker(workerInfo('w-st', { state: 'ready', inflight: 2 }));

    const { client } = h.client({ registers: [address], role: 'client' });
    // Stats leave with the next 20 ms tick: ask until they have arrived.
    const status = await eventually(
      async () => {
        const value = await (() => client.status())();
        return ((s) => s.gateways[0]?.stats.clients === 42)(value) ? value : null;
      },
      3_000,
      'the probed state',
      0,
    );
    expect(status.register.nodeId).toBe('reg-status');
    expect(status.register.pid).toBe(process.pid);
    expect(status.gateways).toEqual([{ ...g, stats }]);
    expect(status.workers).toEqual([workerInfo('w-st', { state: 'ready', inflight: 2, pid: status.workers[0]?.pid ?? 0 })]);
    expect(status.registers).toEqual([{ address, register: status.register, error: null }]);
    expect(server.status().gateways[0]?.stats).toEqual(stats);
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('merges the answers of several registers and names those that did not answer', async () => {
    const a = await h.server({ nodeId: 'reg-a' });
    const b = await h.server({ nodeId: 'reg-b' });
    const down = await h.server({ nodeId: 'reg-down' });
    await down.server.close();
    const { client: ga } = h.client({ registers: [a.address], role: 'gateway', gateway: gatewayInfo('gw000000000a') });
    const { client: gb } = h.client({ registers: [b.address], role: 'gateway', gateway: gatewayInfo('gw000000000b') });
    const { client: wb } = h.client({ registers: [b.address], role: 'worker', worker: workerInfo('w-b') });
    await Promise.all([ga.ready(), gb.ready(), wb.ready()]);

    const { client } = h.client({ registers: [a.address, b.address, down.address], role: 'client' });
    const status = await client.status(); // no ready(): status waits for each register's first attempt
    expect(status.gateways.map((g) => g.gatewayId).sort()).toEqual(['gw000000000a', 'gw000000000b']);
    expect(status.workers.map((w) => w.workerId)).toEqual(['w-b']);
    expect(status.registers.map((r) => [r.address, r.register?.nodeId ?? null])).toEqual([
      [a.address, 'reg-a'],
      [b.address, 'reg-b'],
      [down.address, null],
    ]);
    expect(status.registers[2]?.error).toContain('ECONNREFUSED');
  });

  it('rejects with GW_ERR_REGISTER_NO_ANSWER naming the registers when none answers', async () => {
    const probe = await h.server();
    await probe.server.close();
    const { client } = h.client({ registers: [probe.address], role: 'client' });
    const err = (await client.status(2_000).catch((e: unknown) => e)) as RegisterError;
    expect(err.code).toBe(RegisterErrorCode.NoAnswer);
    expect(err.message).toContain(probe.address);
    expect(err.registerErrors.get(probe.address)).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a client that is never started times out', async () => {
    const { address } = await h.server();
    const { RegisterClient } = await import('../src/index.js');
    const client = new RegisterClient({ registers: [address], secret: 'x', role: 'client', nodeId: 'n' });
    h.add(() => client.close());
    await expect(client.status(50)).rejects.toMatchObject({ code: RegisterErrorCode.NoAnswer });
    await expect(client.ready(50)).rejects.toThrow(/start\(\) was not called/);
  });
});
