import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '@gateworker/protocol';
import { GatewayError } from '../src/errors.js';
import type { Gateway } from '../src/index.js';
import { FakeWorker, startGateway } from './helpers.js';
import { connectLine } from '../../../test/helpers/clients.js';
import { eventually, within } from '../../../test/helpers/wait.js';

describe('Gateway.reconfigure (live configuration)', () => {
  let gateway: Gateway | null = null;
  afterEach(async () => {
    await gateway?.close();
    gateway = null;
  });

  it('a lower connection limit refuses new connections and keeps the connected ones; raising it lets them in again', async () => {
    gateway = await startGateway({ listeners: [{ url: 'tcp://127.0.0.1:0' }] });
    const port = gateway.listenerAddresses()[0]?.port ?? 0;
    const worker = await FakeWorker.connect(gateway);
    const first = await connectLine(port);
    const second = await connectLine(port);
    await eventually(() => gateway?.stats().clients === 2, 5_000, 'two clients');

    gateway.reconfigure({ listeners: [{ maxConnections: 2 }] });
    const third = connect({ host: '127.0.0.1', port });
    third.on('error', () => {});
    await within(once(third, 'close'), 5_000, 'third refused');
    expect(gateway.counters().clientsRejected).toBe(1);
    expect(gateway.stats().clients).toBe(2); // nobody connected was dropped

    // The connected clients still work end to end.
    first.send('still here');
    const message = await worker.event(Op.ClientMessage);
    expect(message.payload.toString()).toBe('still here');

    gateway.reconfigure({ listeners: [{}] }); // the key left out: back to the default limit
    const fourth = await connectLine(port);
    await eventually(() => gateway?.stats().clients === 3, 5_000, 'fourth accepted');
    for (const c of [first, second, fourth]) void c.close();
    await worker.close();
  });

  it('turns a per-address limit on for new connections', async () => {
    gateway = await startGateway({ listeners: [{ url: 'tcp://127.0.0.1:0' }] });
    const port = gateway.listenerAddresses()[0]?.port ?? 0;
    gateway.reconfigure({ listeners: [{ maxConnectionsPerIp: 1 }] });
    const first = await connectLine(port);
    await eventually(() => gateway?.stats().clients === 1, 5_000, 'first');
    const second = connect({ host: '127.0.0.1', port });
    second.on('error', () => {});
    await within(once(second, 'close'), 5_000, 'second refused');
    void first.close();
  });

  it('refuses an invalid change whole (the key named) and keeps every running setting', async () => {
    gateway = await startGateway({ listeners: [{ url: 'tcp://127.0.0.1:0', maxConnections: 5 }] });
    const port = gateway.listenerAddresses()[0]?.port ?? 0;
    const g = gateway;
    let err: unknown = null;
    try {
      g.reconfigure({ listeners: [{ maxConnections: 1 }], pendingEvents: { max: -1 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).message).toContain('pendingEvents.max');
    // The listener limit was part of the refused change: still 5, so two clients get in.
    const a = await connectLine(port);
    const b = await connectLine(port);
    await eventually(() => g.stats().clients === 2, 5_000, 'two clients under the old limit');
    expect(g.counters().clientsRejected).toBe(0);
    void a.close();
    void b.close();
  });
});
