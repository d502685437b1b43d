import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Op } from '@gateworker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeLengthPrefixed } from '../src/listeners/framing.js';
import type { Gateway } from '../src/index.js';
import { FakeWorker, startGateway } from './helpers.js';
import { eventually, within } from '../../../test/helpers/wait.js';

function selfSignedCert(): { cert: string; key: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('listeners', () => {
  let gateway: Gateway | null = null;
  afterEach(async () => {
    await gateway?.close();
    gateway = null;
  });

  it('serves wss:// with the given certificate', async (ctx) => {
    const tls = selfSignedCert();
    if (tls === null) return ctx.skip();
    gateway = await startGateway({ listeners: [{ url: 'wss://127.0.0.1:0/secure', tls }] });
    const worker = await FakeWorker.connect(gateway);
    const [address] = gateway.listenerAddresses();
    expect(address?.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/secure$/);
    const ws = new WebSocket(address?.url ?? '', { rejectUnauthorized: false });
    await within(once(ws, 'open'), 5_000, 'wss open');
    const connect = await worker.event(Op.ClientConnect);
    ws.send('over tls');
    expect((await worker.event(Op.ClientMessage)).payload.toString()).toBe('over tls');
    const reply = once(ws, 'message');
    worker.send({ op: Op.SendToAll, exclude: [], binary: false, payload: Buffer.from('broadcast over tls') });
    expect(String((await within(reply, 5_000, 'wss message'))[0])).toBe('broadcast over tls');
    expect(connect.info.listener).toBe('wss://127.0.0.1:0/secure');
    ws.close();
  });

  it('speaks u32 length-prefixed tcp framing both ways', async () => {
    gateway = await startGateway({ listeners: [{ url: 'tcp://127.0.0.1:0', framing: 'length' }] });
    const worker = await FakeWorker.connect(gateway);
    const socket = connect({ host: '127.0.0.1', port: gateway.listenerAddresses()[0]?.port ?? 0 });
    await within(once(socket, 'connect'), 5_000, 'connect');
    const c = await worker.event(Op.ClientConnect);
    const frames = Buffer.concat([encodeLengthPrefixed(Buffer.from([1, 2])), encodeLengthPrefixed(Buffer.from('abc'))]);
    socket.write(frames.subarray(0, 3));
    socket.write(frames.subarray(3));
    const m1 = await worker.event(Op.ClientMessage);
    const m2 = await worker.event(Op.ClientMessage);
    expect([[...m1.payload], m1.binary, m2.payload.toString()]).toEqual([[1, 2], true, 'abc']);
    const data = once(socket, 'data');
    worker.send({ op: Op.SendToClient, client: c.client, binary: true, payload: Buffer.from('xyz') });
    expect([...((await within(data, 5_000, 'data'))[0] as Buffer)]).toEqual([0, 0, 0, 3, 120, 121, 122]);
    socket.destroy();
  });

  it('closes a connection that does not finish the ws upgrade in time', async () => {
    gateway = await startGateway({ listeners: [{ url: 'ws://127.0.0.1:0/', handshakeTimeoutMs: 100 }] });
    const socket = connect({ host: '127.0.0.1', port: gateway.listenerAddresses()[0]?.port ?? 0 });
    socket.on('error', () => {});
    await within(once(socket, 'close'), 3000, 'idle socket closed');
  });

  it('limits connections per IP', async () => {
    gateway = await startGateway({ listeners: [{ url: 'tcp://127.0.0.1:0', maxConnectionsPerIp: 1 }] });
    const port = gateway.listenerAddresses()[0]?.port ?? 0;
    const first = connect({ host: '127.0.0.1', port });
    await within(once(first, 'connect'), 5_000, 'first');
    await eventually(() => gateway?.stats().clients === 1, 5_000, 'first client accepted');
    const second = connect({ host: '127.0.0.1', port });
    second.on('error', () => {});
    await within(once(second, 'close'), 5_000, 'second refused');
    expect(gateway.counters().clientsRejected).toBe(1);
    first.destroy();
    await eventually(() => gateway?.stats().clients === 0, 5_000, 'first gone');
    const third = connect({ host: '127.0.0.1', port });
    await within(once(third, 'connect'), 5_000, 'third');
    await eventually(() => gateway?.stats().clients === 1, 5_000, 'third accepted');
    third.destroy();
  });

  it('starts and closes with an unreachable register, announcing the advertised address', async () => {
    gateway = await startGateway({ registers: ['127.0.0.1:1'], advertise: '10.1.2.3' });
    expect(gateway.internalAddress().port).toBeGreaterThan(0);
    await within(gateway.close(), 5_000, 'close with an unreachable register');
  });
});
