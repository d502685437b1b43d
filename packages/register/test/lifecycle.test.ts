import { nextEvent, within } from '../../../test/helpers/wait.js';
/**
 * The register server's and client's lifecycle over real sockets: close() idempotent and
 * awaited, destroy() during close() and while binding, one 'close' event each.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RegisterServer } from '../src/index.js';
import { REGISTER_WAIT_MS, FAST_LINK, Harness, SECRET } from './helpers.js';
import { CaptureLogger } from '../../../test/helpers/capture-logger.js';

const h = new Harness();
afterEach(() => h.closeAll());

function countCloses(emitter: { on(event: 'close', listener: () => void): unknown }): () => number {
  let n = 0;
  emitter.on('close', () => n++);
  return () => n;
}

/** Resolves with the connect error (or null when it connected) of a plain TCP connection. */
function tryConnect(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (err) => resolve(err));
  });
}

describe('RegisterServer lifecycle', () => {
  it('close() twice returns the same promise and emits close once', async () => {
    const { server } = await h.server();
    const closes = countCloses(server);
    const first = server.close();
    expect(server.close()).toBe(first);
    await within(first, 3_000, 'close()');
    server.destroy();
    expect(closes()).toBe(1);
    expect(server.address).toBeNull();
  });

  it('destroy() during close() with a linked client emits close once; the client sees the register go', async () => {
    const { server, address } = await h.server();
    const closes = countCloses(server);
    const { client } = h.client({ registers: [address] });
    await client.ready(3_000);
    const down = nextEvent(client, 'register-down', () => true, 3_000);
    const closing = server.close();
    server.destroy();
    expect(closes()).toBe(1);
    await within(closing, 3_000, 'close() after destroy()');
    await down;
    expect(closes()).toBe(1);
  });

  it('destroy() while binding: start() still resolves, the port is released, close is emitted once', async () => {
    const server = new RegisterServer({
      listen: { host: '127.0.0.1', port: 0 },
      secret: SECRET,
      nodeId: 'r',
      logger: new CaptureLogger(REGISTER_WAIT_MS),
      link: FAST_LINK,
    });
    const closes = countCloses(server);
    const starting = server.start();
    server.destroy();
    const { host, port } = await within(starting, 3_000, 'start()');
    expect((await tryConnect(host, port))?.code).toBe('ECONNREFUSED');
    await within(server.close(), 3_000, 'close() after destroy()');
    expect(closes()).toBe(1);
  });
});

describe('RegisterClient lifecycle', () => {
  it('close() twice returns the same promise and emits close once', async () => {
    const { address } = await h.server();
    const { client } = h.client({ registers: [address] });
    const closes = countCloses(client);
    await client.ready(3_000);
    const first = client.close();
    expect(client.close()).toBe(first);
    await within(first, 3_000, 'close()');
    client.destroy();
    expect(closes()).toBe(1);
  });

  it('destroy() during close() emits close once; pending and later calls reject', async () => {
    const { address, server } = await h.server();
    const { client } = h.client({ registers: [address] });
    const closes = countCloses(client);
    await client.ready(3_000);
    const closing = client.close();
    client.destroy();
    expect(closes()).toBe(1);
    await within(closing, 3_000, 'close() after destroy()');
    await expect(client.ready(1_000)).rejects.toThrow();
    // The register notices the link is gone.
    await within(
      (async () => {
        while (server.snapshot().links > 0) await new Promise((resolve) => setImmediate(resolve));
      })(),
      3_000,
      'the register to drop the link',
    );
    expect(closes()).toBe(1);
  });
});
