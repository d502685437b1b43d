import { describe, expect, it } from 'vitest';
import { DEFAULT_AMQP_EXCHANGE, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REDIS_CHANNEL, resolveBusOptions } from '@gateworker/bus';
import { resolveGatewayOptions } from '@gateworker/gateway';
import {
  DEFAULT_LINK_PING_INTERVAL_MS,
  DEFAULT_LINK_TIMEOUT_MS,
  DEFAULT_MAX_PREAUTH_CONNECTIONS,
  DEFAULT_MAX_PREAUTH_PER_ADDRESS,
} from '@gateworker/protocol/node';
import { resolveWorkerOptions } from '@gateworker/worker';
import { configSchema } from '../../bin/src/config/schema.js';

// The config file's defaults are the packages' own: a config that sets nothing resolves to what
// each package resolves when given nothing.
describe('config defaults come from the packages', () => {
  const config = configSchema.parse({
    register: {},
    gateway: { listen: [{ url: 'ws://127.0.0.1:0/' }] },
    worker: { handler: './app.js' },
    bus: { redis: { url: 'redis://127.0.0.1:6379' }, amqp: { url: 'amqp://127.0.0.1' } },
  });

  it('links and pre-auth limits', () => {
    expect(config.links.heartbeat).toEqual({ interval: DEFAULT_LINK_PING_INTERVAL_MS, timeout: DEFAULT_LINK_TIMEOUT_MS });
    expect(config.register?.preAuth).toEqual({ max: DEFAULT_MAX_PREAUTH_CONNECTIONS, maxPerAddress: DEFAULT_MAX_PREAUTH_PER_ADDRESS });
  });

  it('gateway', () => {
    const g = config.gateway!;
    const resolved = resolveGatewayOptions({ nodeId: 'n', secret: '', listeners: [], internal: { host: '127.0.0.1', port: 0 }, registers: [] });
    expect(g.heartbeat).toEqual({ interval: resolved.heartbeat.intervalMs, timeout: resolved.heartbeat.timeoutMs });
    expect(g.routing).toBe(resolved.routing);
    expect(g.pendingEvents).toEqual(resolved.pendingEvents);
    expect(g.linkWindow).toEqual(resolved.linkWindow);
    expect(g.sendBuffer).toEqual({ max: resolved.sendBuffer.maxBytes, policy: resolved.sendBuffer.policy });
    expect(g.preAuth).toEqual({ max: resolved.preAuth.maxTotal, maxPerAddress: resolved.preAuth.maxPerAddress });
    expect({ maxDeliveries: config.worker!.maxDeliveries, policy: config.worker!.poisonPolicy }).toEqual(resolved.poison);
  });

  it('worker', () => {
    const w = config.worker!;
    const resolved = resolveWorkerOptions({ handler: {}, nodeId: 'n', secret: '', registers: ['127.0.0.1:1'] });
    expect(w.queryTimeout).toBe(resolved.queryTimeoutMs);
    expect(w.drainTimeout).toBe(resolved.drainTimeoutMs);
    expect(w.commandBuffer).toEqual({ maxBytes: resolved.commandBuffer.maxBytes, maxAge: resolved.commandBuffer.maxAgeMs });
  });

  it('bus', () => {
    const b = config.bus!;
    const resolved = resolveBusOptions({ redis: { url: 'redis://127.0.0.1:6379' }, amqp: { url: 'amqp://127.0.0.1' }, target: {} as never });
    expect(b.maxMessageSize).toBe(DEFAULT_MAX_MESSAGE_BYTES);
    expect(b.redis?.channel).toBe(DEFAULT_REDIS_CHANNEL);
    expect(b.amqp).toMatchObject({ exchange: DEFAULT_AMQP_EXCHANGE, mode: resolved.amqp?.mode });
    expect(resolved.maxMessageBytes).toBe(b.maxMessageSize);
  });
});
