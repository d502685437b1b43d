import { describe, expect, it } from 'vitest';
import { clientIdFor, Op, packValue } from '@gateworker/protocol';
import type { Session } from '../src/cluster-api-types.js';
import { Dispatcher } from '../src/dispatch.js';
import type { Client, Handler } from '../src/handler.js';
import { decodeSession } from '@gateworker/protocol';
import { close, connect, deferred, fakeEnv, fakeSession, flushMicrotasks, message, WS_INFO, type Deferred } from './fakes.js';
import { CaptureLogger } from '../../../test/helpers/capture-logger.js';

const GW = '000000000001';

function setup(handler: Handler) {
  const logger = new CaptureLogger();
  const source = fakeSession(GW);
  const d = new Dispatcher(handler, fakeEnv(logger, new Map([[GW, source]])), logger);
  return { d, source, logger };
}

describe('per-client ordering', () => {
  it('runs one event at a time per client and different clients concurrently', async () => {
    const log: string[] = [];
    const pending = new Map<string, Deferred>();
    const { d, source } = setup({
      onMessage(client, msg) {
        const key = `${client.id.slice(-1)}:${msg as string}`;
        log.push(`start ${key}`);
        const def = deferred();
        pending.set(key, def);
        return def.promise.then(() => {
          log.push(`end ${key}`);
        });
      },
    });
    d.onEvent(source, message(1, 1, 'a'));
    d.onEvent(source, message(2, 1, 'b'));
    d.onEvent(source, message(3, 2, 'c'));
    d.onEvent(source, message(4, 1, 'd'));
    expect(log).toEqual(['start 1:a', 'start 2:c']);
    expect(d.inflight).toBe(4);

    pending.get('2:c')?.resolve();
    await flushMicrotasks();
    expect(log).toEqual(['start 1:a', 'start 2:c', 'end 2:c']);
    expect(source.trace).toEqual([{ finished: 3 }]);

    pending.get('1:a')?.resolve();
    await flushMicrotasks();
    expect(log.slice(3)).toEqual(['end 1:a', 'start 1:b']);
    pending.get('1:b')?.resolve();
    await flushMicrotasks();
    pending.get('1:d')?.resolve();
    await flushMicrotasks();
    expect(log.slice(5)).toEqual(['end 1:b', 'start 1:d', 'end 1:d']);
    expect(source.trace).toEqual([{ finished: 3 }, { finished: 1 }, { finished: 2 }, { finished: 4 }]);
    expect(d.inflight).toBe(0);
    expect(d.handled).toBe(4);
  });

  it('handles synchronous handlers synchronously, without promises', () => {
    const seen: string[] = [];
    const { d, source } = setup({ onMessage: (_c, m) => void seen.push(m as string) });
    const then = Promise.prototype.then;
    let thens = 0;
    Promise.prototype.then = function (this: Promise<unknown>, ...args: Parameters<typeof then>) {
      thens++;
      return then.apply(this, args);
    } as typeof then;
    try {
      for (let i = 1; i <= 100; i++) d.onEvent(source, message(i, (i % 3) + 1, String(i)));
    } finally {
      Promise.prototype.then = then;
    }
    expect(thens).toBe(0);
    expect(seen).toHaveLength(100);
    expect(source.trace).toHaveLength(100);
    expect(d.inflight).toBe(0);
  });

  it('passes text as a string and binary as a Buffer', () => {
    const got: unknown[] = [];
    const { d, source } = setup({ onMessage: (_c, m) => void got.push(m) });
    d.onEvent(source, message(1, 1, 'héllo'));
    d.onEvent(source, { op: Op.ClientMessage, seq: 2, client: 1, session: null, binary: true, payload: Buffer.from([1, 2, 3]) });
    expect(got[0]).toBe('héllo');
    expect(Buffer.isBuffer(got[1])).toBe(true);
    expect([...(got[1] as Buffer)]).toEqual([1, 2, 3]);
  });
});

describe('handler errors', () => {
  it('logs a throw or a rejection with the client id and carries on', async () => {
    let calls = 0;
    const { d, source, logger } = setup({
      onMessage(_client, msg) {
        calls++;
        if (msg === 'throw') throw new Error('boom');
        if (msg === 'reject') return Promise.reject(new Error('async boom'));
        return undefined;
      },
    });
    d.onEvent(source, message(1, 1, 'throw'));
    d.onEvent(source, message(2, 1, 'reject'));
    d.onEvent(source, message(3, 1, 'fine'));
    d.onEvent(source, message(4, 2, 'fine'));
    await flushMicrotasks();
    expect(calls).toBe(4);
    expect(source.trace).toEqual([{ finished: 1 }, { finished: 4 }, { finished: 2 }, { finished: 3 }]);
    const errors = logger.lines.filter((e) => e.level === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0]?.obj['clientId']).toBe(clientIdFor(GW, 1));
    expect((errors[0]?.obj['err'] as Error).message).toBe('boom');
    expect((errors[1]?.obj['err'] as Error).message).toBe('async boom');
  });
});

describe('sessions', () => {
  it('writes a changed session back before the event finishes, and skips unchanged ones', async () => {
    const { d, source } = setup({
      onConnect(client) {
        client.session['user'] = { name: 'ann', rooms: [] };
      },
      async onMessage(client, msg) {
        await Promise.resolve();
        if (msg === 'join') (client.session['user'] as { rooms: string[] }).rooms.push('r1');
      },
    });
    d.onEvent(source, connect(1, 7));
    d.onEvent(source, message(2, 7, 'noop'));
    d.onEvent(source, message(3, 7, 'join'));
    await flushMicrotasks();
    const t = source.trace;
    expect(t.map((e) => ('op' in e ? e.op : `f${e.finished}`))).toEqual([Op.SetSession, 'f1', 'f2', Op.SetSession, 'f3']);
    const last = t[3] as { session: Uint8Array; client: number };
    expect(last.client).toBe(7);
    expect(decodeSession(last.session)).toEqual({ user: { name: 'ann', rooms: ['r1'] } });
  });

  it('writes back a replaced session object', () => {
    const { d, source } = setup({
      onMessage(client) {
        client.session = { fresh: true };
      },
    });
    d.onEvent(source, message(1, 1, 'x', { old: 1 }));
    expect(source.trace[0]).toMatchObject({ op: Op.SetSession, client: 1 });
    expect(decodeSession((source.trace[0] as { session: Uint8Array }).session)).toEqual({ fresh: true });
  });

  it('hands {} for session bytes that do not decode, warns, and writes nothing over them unless the handler sets a session', () => {
    const seen: Session[] = [];
    const { d, source, logger } = setup({
      onMessage(client, msg) {
        seen.push({ ...client.session });
        if (msg === 'set') client.session['mine'] = 1;
      },
    });
    const corrupt = { ...message(1, 1, 'look'), session: Buffer.from([0xc1]) };
    d.onEvent(source, corrupt);
    expect(seen).toEqual([{}]);
    expect(source.trace).toEqual([{ finished: 1 }]);
    expect(logger.lines.find((e) => e.level === 'warn')?.obj['err']).toMatchObject({ code: 'GW_ERR_INVALID_SESSION' });
    d.onEvent(source, { ...message(2, 1, 'set'), session: Buffer.from([0xc1]) });
    expect(source.trace[1]).toMatchObject({ op: Op.SetSession, client: 1 });
    expect(decodeSession((source.trace[1] as { session: Uint8Array }).session)).toEqual({ mine: 1 });
  });

  it('takes the session from the event, builds unknown clients lazily, and keeps the cache when none is sent', () => {
    const seen: Array<{ session: Session; addr: string; port: number }> = [];
    const { d, source } = setup({
      onMessage(client) {
        seen.push({ session: { ...client.session }, addr: client.remoteAddress, port: client.remotePort });
      },
    });
    d.onEvent(source, message(1, 9, 'x', { n: 1 }));
    d.onEvent(source, message(2, 9, 'y'));
    d.onEvent(source, message(3, 9, 'z', { n: 2 }));
    expect(seen).toEqual([
      { session: { n: 1 }, addr: '', port: 0 },
      { session: { n: 1 }, addr: '', port: 0 },
      { session: { n: 2 }, addr: '', port: 0 },
    ]);
    expect(source.trace.every((e) => !('op' in e))).toBe(true);
  });

  it('lets onClose read session and uid, does not write back, and forgets the client', () => {
    let seen: { session: Session; uid: string | null } | null = null;
    const { d, source } = setup({
      onConnect(client) {
        client.bindUid('u1');
      },
      onClose(client) {
        seen = { session: { ...client.session }, uid: client.uid };
        client.session['changed'] = true;
      },
    });
    d.onEvent(source, connect(1, 3));
    d.onEvent(source, close(2, 3, { name: 'bob' }, 'u1'));
    expect(seen).toEqual({ session: { name: 'bob' }, uid: 'u1' });
    expect(source.trace.filter((e) => 'op' in e && e.op === Op.SetSession)).toHaveLength(0);
    expect(d.clientCount).toBe(0);
  });

  it('takes the uid from the gateway with the session (a client handed over from another worker)', () => {
    const seen: (string | null)[] = [];
    const { d, source } = setup({
      onMessage(client) {
        seen.push(client.uid);
      },
      onClose(client) {
        seen.push(client.uid);
      },
    });
    d.onEvent(source, { ...message(1, 5, 'x', { n: 1 }), uid: 'handed-over' });
    d.onEvent(source, message(2, 5, 'y', null));
    d.onEvent(source, message(3, 5, 'z', {}));
    d.onEvent(source, close(4, 5, {}, 'rebound'));
    expect(seen).toEqual(['handed-over', 'handed-over', null, 'rebound']);
  });

  it('keeps the local copy in step with setSession/updateSession from the cluster API', () => {
    let client: Client | null = null;
    const { d, source } = setup({
      onMessage(c) {
        client = c;
      },
    });
    d.onEvent(source, message(1, 4, 'x', { a: { b: 1 } }));
    d.sessionSet(GW, 4, Buffer.from(packValue({ a: { b: 2 } })));
    expect(client!.session).toEqual({ a: { b: 2 } });
    d.sessionUpdated(GW, 4, Buffer.from(packValue({ a: { c: 3 } })));
    expect(client!.session).toEqual({ a: { b: 2, c: 3 } });
    // Nothing changed relative to what the gateway holds: no write-back on the next event.
    d.onEvent(source, message(2, 4, 'y'));
    expect(source.trace.filter((e) => 'op' in e)).toHaveLength(0);
  });
});

describe('onWebSocketConnect', () => {
  it('runs after onConnect for WebSocket clients and rejects with CloseClient on false', async () => {
    const calls: string[] = [];
    const { d, source } = setup({
      onConnect: () => void calls.push('connect'),
      async onWebSocketConnect(client, request) {
        calls.push(`ws ${request.url} ${client.remoteAddress}:${client.remotePort} ${client.listener}`);
        return false;
      },
      onMessage: () => void calls.push('message'),
      onClose: () => void calls.push('close'),
    });
    d.onEvent(source, connect(1, 5, WS_INFO));
    d.onEvent(source, message(2, 5, 'ignored'));
    d.onEvent(source, close(3, 5));
    await flushMicrotasks();
    expect(calls).toEqual(['connect', 'ws /ws?token=x 10.0.0.1:5555 ws://127.0.0.1:7272/ws']);
    expect(source.trace).toEqual([
      { op: Op.CloseClient, client: 5, data: null, binary: false, code: 1008, reason: 'rejected' },
      { finished: 1 },
      { finished: 2 },
      { finished: 3 },
    ]);
    expect(d.clientCount).toBe(0);
  });

  it('rejects when it throws, and is not called for TCP clients', () => {
    const calls: string[] = [];
    const { d, source } = setup({
      onWebSocketConnect() {
        calls.push('ws');
        throw new Error('no');
      },
      onMessage: (c) => void calls.push(`message ${c.id.slice(-1)}`),
    });
    d.onEvent(source, connect(1, 1, WS_INFO));
    d.onEvent(source, connect(2, 2));
    d.onEvent(source, message(3, 1, 'x'));
    d.onEvent(source, message(4, 2, 'x'));
    expect(calls).toEqual(['ws', 'message 2']);
    expect(source.trace[0]).toMatchObject({ op: Op.CloseClient, client: 1 });
  });
});

describe('dead links', () => {
  it('drops queued events of a dead link and forgets its clients', async () => {
    const gate = deferred();
    const seen: string[] = [];
    const { d, source } = setup({
      onMessage(_c, m) {
        seen.push(m as string);
        if (m === 'slow') return gate.promise;
        return undefined;
      },
    });
    d.onEvent(source, message(1, 1, 'slow'));
    d.onEvent(source, message(2, 1, 'queued'));
    source.alive = false;
    d.sessionClosed(source);
    gate.resolve();
    await flushMicrotasks();
    expect(seen).toEqual(['slow']);
    expect(d.inflight).toBe(0);
    expect(d.clientCount).toBe(0);
  });
});

describe('CloseClient with a close code', () => {
  it('round-trips through the codec', async () => {
    const { decodeMessage, encodeMessage, FRAME_PREFIX_BYTES } = await import('@gateworker/protocol');
    const m = { op: Op.CloseClient, client: 5, data: null, binary: false, code: 1008, reason: 'rejected' } as const;
    expect(decodeMessage(encodeMessage(m).subarray(FRAME_PREFIX_BYTES))).toEqual(m);
    const plain = { op: Op.CloseClient, client: 5, data: null, binary: false } as const;
    expect(decodeMessage(encodeMessage(plain).subarray(FRAME_PREFIX_BYTES))).toEqual(plain);
  });
});
