import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bin/src/config/load.js';
import { TempFiles, configFailure } from '../helpers/temp-files.js';

// The `bus` section (issue 15): defaults, units, env overrides, and errors that name the key.

const files = new TempFiles('gw-config-bus-');
afterAll(() => files.remove());

const file = (bus: string): string => files.write(`register: {}\ngateway:\n  listen: [{ url: "ws://127.0.0.1:1/" }]\n${bus}`);

const failure = configFailure;

describe('bus config', () => {
  it('fills the defaults of the contract', () => {
    const { config } = loadConfig({
      file: file('bus:\n  redis: { url: "redis://127.0.0.1:6379" }\n  amqp: { url: "amqp://guest:guest@127.0.0.1:5672" }\n'),
      env: {},
    });
    expect(config.bus).toEqual({
      redis: { url: 'redis://127.0.0.1:6379', channel: 'gateworker:push' },
      amqp: { url: 'amqp://guest:guest@127.0.0.1:5672', exchange: 'gateworker.push', mode: 'fanout' },
      maxMessageSize: 1024 * 1024,
    });
  });

  it('takes sizes with units and env overrides', () => {
    const { config } = loadConfig({
      file: file('bus:\n  amqp: { url: "amqp://h:5672", mode: routing }\n  maxMessageSize: 64KiB\n'),
      env: { GATEWORKER_BUS_REDIS_URL: 'redis://10.0.0.1:6380/2', GATEWORKER_BUS_AMQP_EXCHANGE: 'push.x' },
    });
    expect(config.bus?.maxMessageSize).toBe(64 * 1024);
    expect(config.bus?.redis?.url).toBe('redis://10.0.0.1:6380/2');
    expect(config.bus?.amqp).toEqual({ url: 'amqp://h:5672', exchange: 'push.x', mode: 'routing' });
  });

  it('names the bad key', () => {
    expect(failure(() => loadConfig({ file: file('bus:\n  amqp: { url: "amqp://h", mode: topic }\n'), env: {} })).key).toBe('bus.amqp.mode');
    expect(failure(() => loadConfig({ file: file('bus:\n  redis: { url: "http://h:1" }\n'), env: {} })).key).toBe('bus.redis.url');
    expect(failure(() => loadConfig({ file: file('bus:\n  redis: { url: "redis://h:1", chanel: x }\n'), env: {} })).key).toBe('bus.redis.chanel');
    expect(failure(() => loadConfig({ file: file('bus:\n  redis: { url: "redis://h:1" }\n  maxMessageSize: lots\n'), env: {} })).key).toBe(
      'bus.maxMessageSize',
    );
    expect(failure(() => loadConfig({ file: file('bus: { maxMessageSize: 1KiB }\n'), env: {} })).message).toContain('names no bridge');
  });
});
