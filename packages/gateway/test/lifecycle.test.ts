import { within } from '../../../test/helpers/wait.js';
/**
 * The gateway's lifecycle over real sockets: close() idempotent and awaited, destroy() during
 * close() (with a connected client, so close() has something to wait for), one 'close' event,
 * drain() stopping new connections while the connected client stays.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Gateway } from '../src/index.js';
import { SECRET, startGateway } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gateway(): Promise<{ gateway: Gateway; closes: () => number }> {
  const g = await startGateway();
  cleanups.push(() => g.destroy());
  let n = 0;
  g.on('close', () => n++);
  return { gateway: g, closes: () => n };
}

async function wsClient(g: Gateway): Promise<WebSocket> {
  const ws = new WebSocket(g.listenerAddresses()[0]?.url as string);
  cleanups.push(() => ws.terminate());
  await within(once(ws, 'open'), 5_000, 'the client to connect');
  return ws;
}

describe('Gateway lifecycle', () => {
  it('close() twice returns the same promise and emits close once', async () => {
    const { gateway: g, closes } = await gateway();
    const first = g.close();
    expect(g.close()).toBe(first);
    await within(first, 5_000, 'close()');
    expect(closes()).toBe(1);
    await within(g.close(), 5_000, 'a later close()');
    g.destroy();
    expect(closes()).toBe(1);
  });

  it('destroy() during close() emits close once and settles the pending close()', async () => {
    const { gateway: g, closes } = await gateway();
    const ws = await wsClient(g);
    const clientGone = once(ws, 'close');
    // The connected client keeps close() waiting for it to go: destroy() lands in the middle.
    const closing = g.close();
    g.destroy();
    expect(closes()).toBe(1);
    await within(closing, 5_000, 'close() after destroy()');
    await within(clientGone, 5_000, 'the client to be dropped');
    // close()'s remaining steps (which used to emit a second 'close') have had their turn.
    await within(g.close(), 5_000, 'close() again');
    expect(closes()).toBe(1);
  });

  it('a gateway closed before start emits close once', async () => {
    const g = new Gateway({
      nodeId: 'n',
      secret: SECRET,
      listeners: [{ url: 'ws://127.0.0.1:0/' }],
      internal: { host: '127.0.0.1', port: 0 },
      registers: [],
    });
    let closes = 0;
    g.on('close', () => closes++);
    await within(g.close(), 5_000, 'close()');
    g.destroy();
    expect(closes).toBe(1);
  });

  it('drain() stops new connections; the connected client stays until close()', async () => {
    const { gateway: g, closes } = await gateway();
    const ws = await wsClient(g);
    const url = g.listenerAddresses()[0]?.url as string;
    await g.drain();
    await g.drain();
    expect(g.snapshot().state).toBe('draining');
    const refused = new WebSocket(url);
    cleanups.push(() => refused.terminate());
    await within(once(refused, 'error'), 5_000, 'the new connection to be refused');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const gone = once(ws, 'close');
    await within(g.close(), 5_000, 'close() after drain()');
    const [code] = (await within(gone, 5_000, 'the client to be closed')) as [number];
    expect(code).toBe(1001);
    expect(closes()).toBe(1);
  });
});
