import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bin/src/config/load.js';
import { envNameOf } from '../../bin/src/config/overrides.js';
import { TempFiles, configFailure } from '../helpers/temp-files.js';

const files = new TempFiles('gw-config-');
afterAll(() => files.remove());

const file = (text: string): string => files.write(text);

const failure = configFailure;

const FULL = `secret: s3cret
register:
  listen: 127.0.0.1:1236
gateway:
  processes: 2
  listen:
    - url: ws://0.0.0.0:7272/ws
    - url: tcp://0.0.0.0:7273
      framing: line
  internal: 127.0.0.1:2900
  advertise: 127.0.0.1
  heartbeat: { interval: 25s, timeout: 1m }
worker:
  processes: 3
  handler: ./app.js
`;

/** FULL with a secret long enough for addresses off loopback. */
const LONG_SECRET = FULL.replace('secret: s3cret', 'secret: a-long-enough-secret-4-tests');

describe('loadConfig', () => {
  it('reads a full file, applies defaults, converts units and resolves paths against the file', () => {
    const path = file(FULL);
    const { config } = loadConfig({ file: path, env: {} });
    expect(config.secret).toBe('s3cret');
    expect(config.gateway?.processes).toBe(2);
    expect(config.gateway?.heartbeat).toEqual({ interval: 25_000, timeout: 60_000 });
    expect(config.gateway?.listen[1]).toEqual({ url: 'tcp://0.0.0.0:7273', framing: 'line' });
    expect(config.gateway?.pendingEvents).toEqual({ max: 10_000, maxBytes: 128 * 1024 * 1024, policy: 'drop' });
    expect(config.gateway?.linkWindow).toEqual({ events: 8192, bytes: 8 * 1024 * 1024 });
    expect(config.worker?.maxDeliveries).toBe(2);
    expect(config.gateway?.sendBuffer).toEqual({ max: 1024 * 1024, policy: 'close' });
    expect(config.worker?.handler).toBe(join(path, '..', 'app.js'));
    expect(config.worker?.queryTimeout).toBe(5_000);
    expect(Object.isFrozen(config.gateway)).toBe(true);
  });

  it('with no file serves the built-in default: register, one ws gateway on 7272, two echo workers', () => {
    const { config, file: f } = loadConfig({ file: null, env: {} });
    expect(f).toBeNull();
    expect(config.register?.listen).toBe('127.0.0.1:1236');
    expect(config.gateway?.listen).toEqual([{ url: 'ws://127.0.0.1:7272/' }]);
    expect(config.worker?.processes).toBe(2);
    expect(config.worker?.handler).toMatch(/echo-handler\.js$/);
  });

  it('names an unknown key and its line:column', () => {
    const path = file('register:\n  listen: 127.0.0.1:1236\n  lisen: 1\n');
    const err = failure(() => loadConfig({ file: path, env: {} }));
    expect(err.key).toBe('register.lisen');
    expect(err.message).toContain(`${path}:3:3`);
  });

  it('names a bad value and its position', () => {
    const path = file('register: {}\ngateway:\n  listen:\n    - url: http://x:1\n');
    const err = failure(() => loadConfig({ file: path, env: {} }));
    expect(err.key).toBe('gateway.listen[0].url');
    expect(err.message).toMatch(new RegExp(`${path}:4:\\d+: gateway\\.listen\\[0\\]\\.url`));
  });

  it('reports a bad duration', () => {
    const path = file('register: {}\ngateway:\n  listen: [{ url: "ws://127.0.0.1:1/" }]\n  heartbeat: { interval: soon }\n');
    const err = failure(() => loadConfig({ file: path, env: {} }));
    expect(err.key).toBe('gateway.heartbeat.interval');
    expect(err.message).toContain('not a duration');
  });

  it('reports YAML syntax errors with a position', () => {
    const path = file('register:\n  listen: [127.0.0.1:1236\n');
    const err = failure(() => loadConfig({ file: path, env: {} }));
    expect(err.message).toMatch(/:\d+:\d+: YAML syntax error/);
  });

  it('priority: flags > env > file > defaults', () => {
    const path = file(FULL);
    const env = { [envNameOf('gateway.pendingEvents.max')]: '7', GATEWORKER_SECRET: 'from-env', GATEWORKER_WORKER_PROCESSES: '5' };
    const { config } = loadConfig({
      file: path,
      env,
      flags: [{ key: 'secret', value: 'from-flag', source: 'flag --secret' }],
    });
    expect(envNameOf('gateway.pendingEvents.max')).toBe('GATEWORKER_GATEWAY_PENDING_EVENTS_MAX');
    expect(config.gateway?.pendingEvents.max).toBe(7);
    expect(config.worker?.processes).toBe(5);
    expect(config.secret).toBe('from-flag');
  });

  it('names the env variable when its value is bad, and refuses unknown GATEWORKER_ variables', () => {
    const path = file(FULL);
    const bad = failure(() => loadConfig({ file: path, env: { GATEWORKER_GATEWAY_ROUTING: 'sideways' } }));
    expect(bad.message).toContain('env GATEWORKER_GATEWAY_ROUTING');
    const unknown = failure(() => loadConfig({ file: path, env: { GATEWORKER_GATEWY_ROUTING: 'x' } }));
    expect(unknown.key).toBe('GATEWORKER_GATEWY_ROUTING');
  });

  it('requires a secret when an address leaves the machine', () => {
    const path = file('register:\n  listen: 0.0.0.0:1236\n');
    const err = failure(() => loadConfig({ file: path, env: {} }));
    expect(err.key).toBe('secret');
    expect(err.message).toContain('register.listen');
    expect(loadConfig({ file: path, env: { GATEWORKER_SECRET: 'a-secret-of-20-chars' } }).config.secret).toBe('a-secret-of-20-chars');
  });

  it('requires registers for a gateway when there is no register section', () => {
    const path = file('gateway:\n  listen: [{ url: "ws://127.0.0.1:1/" }]\n');
    expect(failure(() => loadConfig({ file: path, env: {} })).key).toBe('gateway.registers');
  });

  it('needs cert and key for wss', () => {
    const path = file('register: {}\ngateway:\n  listen: [{ url: "wss://127.0.0.1:443/" }]\n');
    expect(failure(() => loadConfig({ file: path, env: {} })).key).toBe('gateway.listen[0].cert');
  });

  it('takes an optional cluster name from file, env or flag, and refuses a malformed one', () => {
    const path = file(FULL.replace('secret: s3cret', 'secret: s3cret\ncluster: prod'));
    expect(loadConfig({ file: path, env: {} }).config.cluster).toBe('prod');
    expect(loadConfig({ file: path, env: { GATEWORKER_CLUSTER: 'staging-2' } }).config.cluster).toBe('staging-2');
    expect(loadConfig({ file: path, env: {}, flags: [{ key: 'cluster', value: 'eu.1', source: 'flag --cluster' }] }).config.cluster).toBe('eu.1');
    expect(loadConfig({ file: file(FULL), env: {} }).config.cluster).toBeUndefined();
    const bad = failure(() => loadConfig({ file: path, env: { GATEWORKER_CLUSTER: 'no spaces' } }));
    expect(bad.key).toBe('cluster');
    expect(bad.message).toContain('env GATEWORKER_CLUSTER');
  });

  it('worker.commandBuffer: defaults 16MiB / 1m, units accepted, bad values name the key', () => {
    expect(loadConfig({ file: file(FULL), env: {} }).config.worker?.commandBuffer).toEqual({ maxBytes: 16 * 1024 * 1024, maxAge: 60_000 });
    const env = { GATEWORKER_WORKER_COMMAND_BUFFER_MAX_BYTES: '1MiB', GATEWORKER_WORKER_COMMAND_BUFFER_MAX_AGE: '30s' };
    expect(loadConfig({ file: file(FULL), env }).config.worker?.commandBuffer).toEqual({ maxBytes: 1024 * 1024, maxAge: 30_000 });
    expect(failure(() => loadConfig({ file: file(FULL), env: { GATEWORKER_WORKER_COMMAND_BUFFER_MAX_AGE: 'soon' } })).key).toBe(
      'worker.commandBuffer.maxAge',
    );
  });

  it('links.heartbeat: defaults 5s / 15s, settable, timeout must exceed interval', () => {
    expect(loadConfig({ file: file(FULL), env: {} }).config.links.heartbeat).toEqual({ interval: 5_000, timeout: 15_000 });
    const env = { GATEWORKER_LINKS_HEARTBEAT_INTERVAL: '1s', GATEWORKER_LINKS_HEARTBEAT_TIMEOUT: '3s' };
    expect(loadConfig({ file: file(FULL), env }).config.links.heartbeat).toEqual({ interval: 1_000, timeout: 3_000 });
    const bad = failure(() => loadConfig({ file: file(FULL), env: { GATEWORKER_LINKS_HEARTBEAT_TIMEOUT: '2s' } }));
    expect(bad.key).toBe('links.heartbeat.timeout');
  });

  it('validates every internal address with the one parser, naming the key', () => {
    const cases: Array<[string, string, string]> = [
      ['internal: 127.0.0.1:2900', 'internal: fd77::22:2900', 'gateway.internal'],
      ['internal: 127.0.0.1:2900', 'internal: "127.0.0.1:99999"', 'gateway.internal'],
      ['listen: 127.0.0.1:1236', 'listen: "[::1"', 'register.listen'],
      ['advertise: 127.0.0.1', 'advertise: "[[fd77::22]]"', 'gateway.advertise'],
      ['advertise: 127.0.0.1', 'advertise: "bad host"', 'gateway.advertise'],
      ['advertise: 127.0.0.1', 'advertise: 0.0.0.0', 'gateway.advertise'],
    ];
    for (const [from, to, key] of cases) {
      const err = failure(() => loadConfig({ file: file(LONG_SECRET.replace(from, to)), env: {} }));
      expect(err.key, to).toBe(key);
    }
    for (const ok of ['advertise: "[fd77::22]"', 'advertise: fd77::22', 'advertise: "10.0.0.6:3900"', 'advertise: gw1.example.com']) {
      expect(loadConfig({ file: file(LONG_SECRET.replace('advertise: 127.0.0.1', ok)), env: {} }).config.gateway?.advertise, ok).toBeDefined();
    }
  });

  it('refuses a wildcard internal bind without advertise, saying what to set', () => {
    const text = LONG_SECRET.replace('internal: 127.0.0.1:2900', 'internal: 0.0.0.0:2900').replace('  advertise: 127.0.0.1\n', '');
    const err = failure(() => loadConfig({ file: file(text), env: {} }));
    expect(err.key).toBe('gateway.advertise');
    expect(err.message).toContain('set gateway.advertise');
    const v6 = failure(() => loadConfig({ file: file(text.replace('0.0.0.0:2900', '"[::]:2900"')), env: {} }));
    expect(v6.key).toBe('gateway.advertise');
    expect(loadConfig({ file: file(text), env: { GATEWORKER_GATEWAY_ADVERTISE: '10.0.0.6' } }).config.gateway?.advertise).toBe('10.0.0.6');
  });

  it('admin is off by default; off loopback it needs a token (the error names admin.token)', () => {
    expect(loadConfig({ file: file('register: {}\n'), env: {} }).config.admin).toBeUndefined();
    const on = loadConfig({ file: file('register: {}\nadmin: {}\n'), env: {} }).config.admin;
    expect(on).toEqual({ listen: '127.0.0.1:9464' });
    const open = file('register: {}\nadmin:\n  listen: 0.0.0.0:9464\n');
    const err = failure(() => loadConfig({ file: open, env: {} }));
    expect(err.key).toBe('admin.token');
    expect(err.message).toContain('0.0.0.0:9464');
    expect(loadConfig({ file: open, env: { GATEWORKER_ADMIN_TOKEN: 't0ken' } }).config.admin).toEqual({ listen: '0.0.0.0:9464', token: 't0ken' });
    expect(loadConfig({ file: file('register: {}\n'), env: { GATEWORKER_ADMIN_LISTEN: '127.0.0.1:0' } }).config.admin?.listen).toBe('127.0.0.1:0');
  });
});

describe('discovery keys', () => {
  const GATEWAY = `gateway:\n  listen: [{ url: "ws://127.0.0.1:7272/" }]\n`;

  it('reads an etcd backend with defaults, and a cluster name', () => {
    const { config } = loadConfig({
      file: file(`cluster: prod\ndiscovery:\n  etcd: { endpoints: [http://127.0.0.1:2379], ttl: 5s }\n${GATEWAY}`),
      env: {},
    });
    expect(config.cluster).toBe('prod');
    expect(config.discovery?.etcd).toEqual({ endpoints: ['http://127.0.0.1:2379'], prefix: '/gateworker', ttl: 5_000 });
  });

  it('reads a ZooKeeper backend; env and flags set the same keys', () => {
    const { config } = loadConfig({
      file: file(`discovery:\n  zookeeper: { servers: "10.0.0.1:2181,10.0.0.2:2181" }\n${GATEWAY}`),
      env: { [envNameOf('discovery.zookeeper.sessionTimeout')]: '4s', GATEWORKER_CLUSTER: 'blue' },
    });
    expect(config.discovery?.zookeeper).toEqual({ servers: '10.0.0.1:2181,10.0.0.2:2181', path: '/gateworker', sessionTimeout: 4_000 });
    expect(config.cluster).toBe('blue');
  });

  it('rejects two backends, a register next to discovery, and bad values, naming the key', () => {
    expect(
      failure(() =>
        loadConfig({ file: file(`discovery:\n  etcd: { endpoints: [http://a:1] }\n  zookeeper: { servers: "a:2" }\n${GATEWAY}`), env: {} }),
      ).message,
    ).toMatch(/discovery: name exactly one backend/);
    expect(failure(() => loadConfig({ file: file(`register: {}\ndiscovery:\n  etcd: { endpoints: [http://a:1] }\n${GATEWAY}`), env: {} })).key).toBe(
      'register',
    );
    expect(failure(() => loadConfig({ file: file(`discovery:\n  etcd: { endpoints: [127.0.0.1:2379] }\n${GATEWAY}`), env: {} })).key).toBe(
      'discovery.etcd.endpoints[0]',
    );
    expect(failure(() => loadConfig({ file: file(`discovery:\n  etcd: { endpoints: [http://a:1], ttl: 500ms }\n${GATEWAY}`), env: {} })).key).toBe(
      'discovery.etcd.ttl',
    );
    expect(
      failure(() => loadConfig({ file: file(`cluster: "a b"\ndiscovery:\n  etcd: { endpoints: [http://a:1] }\n${GATEWAY}`), env: {} })).key,
    ).toBe('cluster');
  });

  it('without a file, discovery from flags replaces the built-in register', () => {
    const { config } = loadConfig({
      file: null,
      env: {},
      flags: [{ key: 'discovery.etcd.endpoints', value: ['http://127.0.0.1:2379'], source: 'flag --etcd' }],
    });
    expect(config.register).toBeUndefined();
    expect(config.discovery?.etcd?.endpoints).toEqual(['http://127.0.0.1:2379']);
  });
});
