import { once } from 'node:events';
import type { GatewayInfo } from '@gateworker/protocol';
import { RegisterClient, RegisterServer } from '@gateworker/register';
import { describe, expect, it } from 'vitest';
import { SECRET, startGateway } from './helpers.js';
import { within } from '../../../test/helpers/wait.js';

describe('register announcement', () => {
  it('announces the advertised internal address and withdraws on close', async () => {
    const server = new RegisterServer({ listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, nodeId: 'reg' });
    const { port } = await server.start();
    const watcher = new RegisterClient({ registers: [`127.0.0.1:${port}`], secret: SECRET, role: 'client', nodeId: 'watcher' });
    try {
      const up = once(watcher, 'gateway-up');
      watcher.start();
      const gateway = await startGateway({ registers: [`127.0.0.1:${port}`], advertise: '127.0.0.9', processIndex: 3 });
      const [info] = (await within(up, 5_000, 'gateway-up')) as [GatewayInfo];
      expect(info).toMatchObject({
        gatewayId: gateway.gatewayId,
        nodeId: 'test-node',
        address: `127.0.0.9:${gateway.internalAddress().port}`,
        processIndex: 3,
        pid: process.pid,
      });
      const down = once(watcher, 'gateway-down');
      await gateway.close();
      expect((await within(down, 5_000, 'gateway-down'))[0]).toBe(gateway.gatewayId);
    } finally {
      await watcher.close();
      await server.close();
    }
  });

  it('announces a bracketed IPv6 advertise address once bracketed ([fd77::22] → [fd77::22]:port)', async () => {
    const server = new RegisterServer({ listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, nodeId: 'reg' });
    const { port } = await server.start();
    const watcher = new RegisterClient({ registers: [`127.0.0.1:${port}`], secret: SECRET, role: 'client', nodeId: 'watcher' });
    try {
      const up = once(watcher, 'gateway-up');
      watcher.start();
      const gateway = await startGateway({ registers: [`127.0.0.1:${port}`], advertise: '[fd77::22]' });
      const [info] = (await within(up, 5_000, 'gateway-up')) as [GatewayInfo];
      expect(info.address).toBe(`[fd77::22]:${gateway.internalAddress().port}`);
      await gateway.close();
    } finally {
      await watcher.close();
      await server.close();
    }
  });
});
