import { clientIdFor, newGatewayId, Op, packValue, QueryKind, unpackValue, WireErrorCode, type Message } from '@gateworker/protocol';
import type { Link } from '@gateworker/protocol/node';
import { silentLogger } from '@gateworker/protocol/node';
import { describe, expect, it, vi } from 'vitest';
import { ListenerCounters } from '../src/counters.js';
import { Client, ClientState, Framing, type ClientSocket, type ClientTransport, type CloseReason } from '../src/client.js';
import { ClientTable } from '../src/client-table.js';
import { handleInbound, type CommandContext } from '../src/commands/index.js';
import { Counters } from '../src/counters.js';
import { Outbound } from '../src/outbound.js';
import { LogThrottle } from '../src/throttle.js';
import { WorkerLink } from '../src/worker-link.js';

class FakeSocket implements ClientSocket {
  writes: Buffer[] = [];
  writableLength = 0;
  bytesRead = 0;
  writableCorked = 0;
  cork(): void {
    this.writableCorked++;
  }
  uncork(): void {
    this.writableCorked--;
  }
  writable = true;
  destroyed = false;
  write(bytes: Uint8Array): boolean {
    this.writes.push(bytes as Buffer); // kept as is: a broadcast must hand every socket the same Buffer
    return true;
  }
}

class FakeTransport implements ClientTransport {
  frames = 0;
  closed: { client: number; why: CloseReason; data: string | null }[] = [];
  constructor(
    readonly framing: Framing,
    private readonly suffix: string,
  ) {}
  readonly url = 'fake://';
  readonly counters = new ListenerCounters();
  frame(payload: Uint8Array, binary: boolean): Buffer {
    this.frames++;
    return Buffer.from(`${binary ? 'B' : 'T'}:${Buffer.from(payload).toString()}${this.suffix}`);
  }
  close(client: Client, why: CloseReason, data: Buffer | null): void {
    client.state = ClientState.Closing;
    this.closed.push({ client: client.num, why, data: data?.toString() ?? null });
  }
  ping(): void {}
}

function setup(opts: { maxBytes?: number; policy?: 'close' | 'drop' } = {}) {
  const table = new ClientTable<Client>();
  const counters = new Counters();
  const log = silentLogger;
  const closes: number[] = [];
  const outbound = new Outbound({
    maxBytes: opts.maxBytes ?? 1024,
    policy: opts.policy ?? 'close',
    counters,
    log,
    throttle: new LogThrottle(log),
    closeClient: (c) => closes.push(c.num),
  });
  const sent: Message[] = [];
  const link = { send: (m: Message) => sent.push(m) } as unknown as Link;
  const from = new WorkerLink(7, link, 'worker', 'w');
  const ctx: CommandContext = {
    gatewayId: newGatewayId(),
    table,
    outbound,
    counters,
    log,
    closeClient: (c, why, data) => c.transport.close(c, why, data),
    ack: () => {},
    ackRanges: () => {},
    workerReady: () => {},
    drain: () => {},
    streamResume: () => {},
  };
  const ws = new FakeTransport(Framing.Ws, '');
  const line = new FakeTransport(Framing.Line, '\n');
  const add = (num: number, transport: FakeTransport): { client: Client; socket: FakeSocket } => {
    const socket = new FakeSocket();
    const client = new Client(num, transport, socket);
    table.add(client);
    return { client, socket };
  };
  const run = (m: Message): void => handleInbound(m, from, ctx);
  return { table, counters, ctx, ws, line, add, run, sent, from, closes };
}

describe('command handlers', () => {
  it('sendToAll frames the payload once per framing and writes one buffer per socket', () => {
    const { ws, line, add, run } = setup();
    const clients = [add(1, ws), add(2, ws), add(3, line), add(4, line), add(5, ws)];
    run({ op: Op.SendToAll, exclude: [5], binary: false, payload: Buffer.from('hi') });
    expect(ws.frames).toBe(1);
    expect(line.frames).toBe(1);
    expect(clients.map((c) => c.socket.writes.map(String))).toEqual([['T:hi'], ['T:hi'], ['T:hi\n'], ['T:hi\n'], []]);
    expect(clients[0]?.socket.writes[0]).toBe(clients[1]?.socket.writes[0]);
    expect(clients[2]?.socket.writes[0]).toBe(clients[3]?.socket.writes[0]);
  });

  it('sendToGroups reaches each member once, minus excluded', () => {
    const { ws, add, run, table } = setup();
    const [a, b, c] = [add(1, ws), add(2, ws), add(3, ws)];
    table.joinGroup(a.client, 'g1');
    table.joinGroup(a.client, 'g2');
    table.joinGroup(b.client, 'g2');
    table.joinGroup(c.client, 'g2');
    run({ op: Op.SendToGroups, groups: ['g1', 'g2'], exclude: [3], binary: true, payload: Buffer.from('x') });
    expect([a, b, c].map((x) => x.socket.writes.length)).toEqual([1, 1, 0]);
    expect(String(a.socket.writes[0])).toBe('B:x');
  });

  it('sendToUids and sendToClients skip gone clients', () => {
    const { ws, add, run, table, counters } = setup();
    const [a, b] = [add(1, ws), add(2, ws)];
    table.bindUid(a.client, 'u');
    table.bindUid(b.client, 'u');
    run({ op: Op.SendToUids, uids: ['u', 'nobody'], binary: false, payload: Buffer.from('u') });
    run({ op: Op.SendToClients, clients: [2, 99], binary: false, payload: Buffer.from('c') });
    expect(a.socket.writes.map(String)).toEqual(['T:u']);
    expect(b.socket.writes.map(String)).toEqual(['T:u', 'T:c']);
    expect(counters.commandsForGoneClients).toBe(1);
  });

  it('applies the send-buffer policy past the burst bound (8 × maxBytes queued in one turn): close or drop, counted', () => {
    const closing = setup({ maxBytes: 10, policy: 'close' });
    const slow = closing.add(1, closing.ws);
    slow.socket.writableLength = 78;
    closing.run({ op: Op.SendToClient, client: 1, binary: false, payload: Buffer.from('12345') });
    expect(slow.socket.writes).toHaveLength(0);
    expect(closing.closes).toEqual([1]);
    expect(closing.counters.slowClientCloses).toBe(1);

    const dropping = setup({ maxBytes: 10, policy: 'drop' });
    const s2 = dropping.add(1, dropping.ws);
    s2.socket.writableLength = 78;
    dropping.run({ op: Op.SendToClient, client: 1, binary: false, payload: Buffer.from('12345') });
    dropping.run({ op: Op.SendToClient, client: 1, binary: false, payload: Buffer.from('') });
    expect(dropping.closes).toEqual([]);
    expect(dropping.counters.slowClientDrops).toBe(1);
    expect(s2.socket.writes.map(String)).toEqual(['T:']);
  });

  it('judges a client slow only when its queue stays above maxBytes after the kernel took what it could', () => {
    vi.useFakeTimers();
    try {
      const { ws, add, run, closes, counters, ctx } = setup({ maxBytes: 10, policy: 'close' });
      const [fast, slow] = [add(1, ws), add(2, ws)];
      // One turn queues 40 bytes to each (4 × maxBytes, under the burst bound): nobody is closed at write time.
      for (let i = 0; i < 4; i++) run({ op: Op.SendToClients, clients: [1, 2], binary: false, payload: Buffer.from('12345678') });
      expect(closes).toEqual([]);
      fast.socket.writableLength = 40;
      slow.socket.writableLength = 40;
      ctx.outbound.flush();
      // The fast reader drains; the slow one does not.
      fast.socket.writableLength = 0;
      vi.advanceTimersByTime(1_500);
      expect(closes).toEqual([2]);
      expect(counters.slowClientCloses).toBe(1);
      expect(fast.client.isOpen).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('closeClient sends the last message framed for the client, then closes', () => {
    const { line, add, run } = setup();
    add(1, line);
    run({ op: Op.CloseClient, client: 1, data: Buffer.from('bye'), binary: false });
    expect(line.closed).toEqual([{ client: 1, why: expect.objectContaining({ code: 1000 }) as CloseReason, data: 'T:bye\n' }]);
    run({ op: Op.CloseClient, client: 2, data: null, binary: false });
  });

  it('closeClient passes a valid ws close code and reason, and falls back to 1000 otherwise', () => {
    const { ws, add, run } = setup();
    add(1, ws);
    add(2, ws);
    run({ op: Op.CloseClient, client: 1, data: null, binary: false, code: 4001, reason: 'rejected' });
    run({ op: Op.CloseClient, client: 2, data: null, binary: false, code: 1005, reason: 'reserved' });
    expect(ws.closed.map((c) => [c.client, c.why.code, c.why.reason])).toEqual([
      [1, 4001, 'rejected'],
      [2, 1000, ''],
    ]);
  });

  it('SetSession from a worker makes it the holder; UpdateSession merges and clears the holder', () => {
    const { ws, add, run } = setup();
    const { client } = add(1, ws);
    run({ op: Op.SetSession, client: 1, session: packValue({ a: { b: 1 } }) });
    expect(client.sessionHolder).toBe(7);
    run({ op: Op.UpdateSession, client: 1, patch: packValue({ a: { c: 2 } }) });
    expect(client.sessionHolder).toBe(0);
    run({ op: Op.SetSession, client: 1, session: packValue([1]) }); // not an object: ignored
    run({ op: Op.UpdateSession, client: 1, patch: packValue('x') }); // ignored
    expect(unpackValue(client.session as Uint8Array)).toEqual({ a: { b: 1, c: 2 } });
  });

  it('answers queries with full client ids, and null/false/empty for gone clients', () => {
    const { ws, add, run, sent, table, ctx } = setup();
    const { client } = add(3, ws);
    table.bindUid(client, 'u');
    table.joinGroup(client, 'g');
    run({ op: Op.Query, id: 1, kind: QueryKind.ClientIdsByGroup, args: { group: 'g' } });
    run({ op: Op.Query, id: 2, kind: QueryKind.GetSession, args: { client: 3 } });
    run({ op: Op.Query, id: 3, kind: QueryKind.GetSession, args: { client: 4 } });
    run({ op: Op.Query, id: 4, kind: QueryKind.IsOnline, args: { client: 4 } });
    run({ op: Op.Query, id: 5, kind: QueryKind.ClientIdsByGroup, args: { group: 'none' } });
    run({ op: Op.Query, id: 6, kind: QueryKind.GetUidByClientId, args: 3 });
    run({ op: Op.Query, id: 7, kind: QueryKind.IsOnline, args: { client: 'x' } });
    expect(sent).toEqual([
      { op: Op.QueryReply, id: 1, result: [clientIdFor(ctx.gatewayId, 3)], error: null },
      { op: Op.QueryReply, id: 2, result: {}, error: null },
      { op: Op.QueryReply, id: 3, result: null, error: null },
      { op: Op.QueryReply, id: 4, result: false, error: null },
      { op: Op.QueryReply, id: 5, result: [], error: null },
      { op: Op.QueryReply, id: 6, result: 'u', error: null },
      { op: Op.QueryReply, id: 7, result: null, error: expect.stringMatching(/client/) as string, code: WireErrorCode.InvalidQuery },
    ]);
  });

  it('refuses messages a gateway never accepts, and flow control from a client link', () => {
    const { run, ctx } = setup();
    expect(() => run({ op: Op.DrainAck })).toThrow(/does not accept DrainAck/);
    const clientLink = new WorkerLink(8, {} as Link, 'client', 'c');
    expect(() => handleInbound({ op: Op.Ack, seq: 1 }, clientLink, ctx)).toThrow(/Ack from a client link/);
    expect(() => handleInbound({ op: Op.WorkerReady, workerId: 'w', pid: 1 }, clientLink, ctx)).toThrow(/only worker send it/);
  });

  it('takes an Error frame from a worker or client as its reason for closing: closes the link, no counter-error', () => {
    const { ctx } = setup();
    const close = vi.fn(() => Promise.resolve());
    const from = new WorkerLink(9, { close } as unknown as Link, 'client', 'c');
    handleInbound({ op: Op.Error, code: 6, message: 'wrong secret' }, from, ctx);
    expect(close).toHaveBeenCalledOnce();
  });
});
