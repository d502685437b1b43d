import { expect } from 'vitest';
import type { GatewayInfo } from '@gateworker/protocol';
import { newGatewayId } from '@gateworker/protocol';
import type { DiscoveryBackend } from '@gateworker/discovery';

// What both backends' tests share: the record a gateway publishes, and the lifecycle contract
// every DiscoveryBackend keeps, whatever holds its session.

export function gatewayRecord(address: string, clients = 0): GatewayInfo {
  return {
    gatewayId: newGatewayId(),
    nodeId: 'n1',
    address,
    processIndex: 0,
    pid: process.pid,
    stats: { clients, uids: 0, groups: 0, workers: 0, pending: 0 },
  };
}

/**
 * close() twice returns one promise and emits 'close' once; destroy() after it, or during a
 * close() in progress, does not emit it again; ready() stays resolved once the list was read.
 */
export async function expectOneClose(a: DiscoveryBackend, b: DiscoveryBackend, readyMs: number): Promise<void> {
  await Promise.all([a.ready(readyMs), b.ready(readyMs)]);
  let closesA = 0;
  let closesB = 0;
  a.on('close', () => closesA++);
  b.on('close', () => closesB++);
  const first = a.close();
  expect(a.close()).toBe(first);
  await first;
  a.destroy();
  expect(closesA).toBe(1);
  const closing = b.close();
  b.destroy();
  expect(closesB).toBe(1);
  await closing;
  await b.close();
  expect(closesB).toBe(1);
  await expect(b.ready(100)).resolves.toBeUndefined();
}
