/**
 * The CLI's long-lived objects on the shared lifecycle: the admin endpoint (a real HTTP server
 * with an open event stream) and the ConfigManager (a real file watch). close() twice returns one
 * promise, destroy() during close() settles it, 'close' is emitted once.
 */
import { get, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminServer } from '../../bin/src/admin/server.js';
import { ConfigManager } from '../../bin/src/config/manager.js';
import { loadConfig } from '../../bin/src/config/load.js';
import { TempFiles } from '../helpers/temp-files.js';
import { DEFAULT_WAIT_MS, within } from '../helpers/wait.js';

const files = new TempFiles('gw-lifecycle-');
afterAll(() => files.remove());

const logger = pino({ level: 'silent' });

async function adminServer(): Promise<{ server: AdminServer; port: number; closes: () => number }> {
  const server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    token: null,
    logger,
    backend: {
      tree: () => Promise.reject(new Error('no tree in this test')),
      metrics: () => Promise.resolve(''),
      metricsContentType: 'text/plain',
      lookup: () => Promise.resolve([]),
    },
  });
  let n = 0;
  server.on('close', () => n++);
  const { port } = await server.start();
  return { server, port, closes: () => n };
}

/** Opens the topology page's event stream (a connection the server holds open). */
async function openStream(port: number): Promise<IncomingMessage> {
  const req = get({ host: '127.0.0.1', port, path: '/events' });
  const [res] = (await within(once(req, 'response'), DEFAULT_WAIT_MS, 'the event stream')) as [IncomingMessage];
  res.resume();
  return res;
}

describe('AdminServer lifecycle', () => {
  it('close() twice returns one promise, ends the open streams and emits close once', async () => {
    const { server, port, closes } = await adminServer();
    const stream = await openStream(port);
    const ended = once(stream, 'close');
    const first = server.close();
    expect(server.close()).toBe(first);
    await within(first, DEFAULT_WAIT_MS, 'close()');
    await within(ended, DEFAULT_WAIT_MS, 'the stream to end');
    server.destroy();
    expect(closes()).toBe(1);
  });

  it('destroy() during close() emits close once and settles the close', async () => {
    const { server, port, closes } = await adminServer();
    const stream = await openStream(port);
    const ended = once(stream, 'close');
    const closing = server.close();
    server.destroy();
    expect(closes()).toBe(1);
    await within(closing, DEFAULT_WAIT_MS, 'close() after destroy()');
    await within(ended, DEFAULT_WAIT_MS, 'the stream to end');
    expect(closes()).toBe(1);
  });

  it('drain() turns /healthz to 503 and resolves', async () => {
    const { server, port } = await adminServer();
    try {
      await server.drain();
      const req = get({ host: '127.0.0.1', port, path: '/healthz' });
      const [res] = (await within(once(req, 'response'), DEFAULT_WAIT_MS, '/healthz')) as [IncomingMessage];
      res.resume();
      expect(res.statusCode).toBe(503);
    } finally {
      await server.close();
    }
  });
});

describe('ConfigManager lifecycle', () => {
  async function manager(): Promise<{ manager: ConfigManager; closes: () => number }> {
    const file = files.write(`register: { listen: 127.0.0.1:0 }\nconfig: { watch: true }\n`);
    const local = loadConfig({ file });
    const m = await ConfigManager.open({ file }, local, logger);
    let n = 0;
    m.on('close', () => n++);
    await within(m.start(), DEFAULT_WAIT_MS, 'the file watch to start');
    expect(m.status().watchingFile).toBe(true);
    return { manager: m, closes: () => n };
  }

  it('close() twice returns one promise and emits close once', async () => {
    const { manager: m, closes } = await manager();
    const first = m.close();
    expect(m.close()).toBe(first);
    await within(first, DEFAULT_WAIT_MS, 'close()');
    m.destroy();
    expect(closes()).toBe(1);
  });

  it('destroy() during close() emits close once and settles the close', async () => {
    const { manager: m, closes } = await manager();
    const closing = m.close();
    m.destroy();
    expect(closes()).toBe(1);
    await within(closing, DEFAULT_WAIT_MS, 'close() after destroy()');
    expect(closes()).toBe(1);
  });
});
