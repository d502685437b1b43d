/**
 * The bus's lifecycle: close() idempotent and awaited, destroy() during close(), one 'close'
 * event — against a real redis-server (subscribed bridge) and an AMQP url nobody listens on
 * (a bridge still retrying its first connection).
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newGatewayId } from '@gateworker/protocol';
import { listen } from '@gateworker/protocol/node';
import { startRedis, type RedisServer } from '../../../test/helpers/redis.js';
import { eventually } from '../../../test/helpers/wait.js';
import { Bus, type BusTarget } from '../src/index.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

/** A gateway as the bus sees it, with no clients. */
class EmptyGateway extends EventEmitter implements BusTarget {
  readonly gatewayId = newGatewayId();
  applyLocal(): number {
    return 0;
  }
  membership(): { uids: string[]; groups: string[] } {
    return { uids: [], groups: [] };
  }
}

function bus(options: Partial<ConstructorParameters<typeof Bus>[0]>): { bus: Bus; target: EmptyGateway; closes: () => number } {
  const target = new EmptyGateway();
  const b = new Bus({ target, reconnect: { minDelayMs: 20, maxDelayMs: 100 }, ...options });
  let n = 0;
  b.on('close', () => n++);
  b.start();
  return { bus: b, target, closes: () => n };
}

const connectionName = (target: EmptyGateway): string => `gateworker-bus-${target.gatewayId}`;

describe('Bus lifecycle', () => {
  it('redis: close() twice returns the same promise, emits close once, and the subscriber connection goes', async () => {
    const { bus: b, target, closes } = bus({ redis: { url: redis.url } });
    await eventually(() => b.snapshot().bridges[0]?.state === 'ready', 10_000, 'the redis bridge to subscribe', 20);
    expect(await redis.cli('CLIENT', 'LIST')).toContain(connectionName(target));
    const first = b.close();
    expect(b.close()).toBe(first);
    await first;
    b.destroy();
    expect(closes()).toBe(1);
    expect(b.snapshot().bridges[0]?.state).toBe('closed');
    await eventually(
      async () => !(await redis.cli('CLIENT', 'LIST')).includes(connectionName(target)),
      10_000,
      'the subscriber connection to close',
      20,
    );
  });

  it('redis: destroy() during close() emits close once and settles the close', async () => {
    const { bus: b, target, closes } = bus({ redis: { url: redis.url } });
    await eventually(() => b.snapshot().bridges[0]?.state === 'ready', 10_000, 'the redis bridge to subscribe', 20);
    const closing = b.close();
    b.destroy();
    expect(closes()).toBe(1);
    await closing;
    await eventually(
      async () => !(await redis.cli('CLIENT', 'LIST')).includes(connectionName(target)),
      10_000,
      'the subscriber connection to close',
      20,
    );
    expect(closes()).toBe(1);
  });

  it('amqp still connecting: close() twice and destroy() during close() emit close once', async () => {
    // A port that was bound and released: nothing listens there.
    const probe = createServer();
    const { port } = await listen(probe, '127.0.0.1', 0, () => {});
    await new Promise((resolve) => probe.close(resolve));
    const { bus: b, closes } = bus({ amqp: { url: `amqp://127.0.0.1:${port}` } });
    const closing = b.close();
    expect(b.close()).toBe(closing);
    b.destroy();
    await closing;
    expect(closes()).toBe(1);
    expect(b.snapshot().bridges[0]?.state).toBe('closed');
  });
});
