import { within } from '../../../test/helpers/wait.js';
/**
 * Links and the handshake over real loopback sockets. Error paths use a scripted fake peer (a raw
 * socket that reads and writes frames by hand). Every wait is an event with a timeout.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answerHello, decodeMessage, encodeMessage, ErrorCode, FrameDecoder, Op, ProtocolError, PROTOCOL_VERSION } from '@gateworker/protocol';
import type { HelloMsg, Message } from '@gateworker/protocol';
import { acceptLink, connectLink, DEFAULT_LINK_OPTIONS, Link } from '@gateworker/protocol/node';
import type { AcceptOptions, AcceptedLink, ResolvedLinkOptions } from '@gateworker/protocol/node';

const SECRET = 's3cret';
const WAIT_MS = 5_000;

/** Link options as a resolver would give them, with the test's values (some below the resolver's minimums). */
const linkOptions = (o: Partial<ResolvedLinkOptions>): ResolvedLinkOptions => ({ ...DEFAULT_LINK_OPTIONS, ...o });

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A loopback server on port 0 whose accepted sockets go to `onSocket`. */
async function listen(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    onSocket(socket);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A raw client socket (the scripted peer's end). `allowHalfOpen` keeps it writable after the other side ends. */
async function rawConnect(port: number, allowHalfOpen = false): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen });
  sockets.push(socket);
  await within(once(socket, 'connect'), WAIT_MS, 'connect');
  return socket;
}

/** Two raw sockets connected to each other. */
async function socketPair(): Promise<[Socket, Socket]> {
  let accepted!: (s: Socket) => void;
  const serverSide = new Promise<Socket>((resolve) => (accepted = resolve));
  const port = await listen((s) => accepted(s));
  const client = await rawConnect(port);
  return [await within(serverSide, WAIT_MS, 'accept'), client];
}

/** Reads messages from a raw socket, one at a time, with a timeout. */
function reader(socket: Socket): { next(what?: string): Promise<Message>; closed: Promise<unknown> } {
  const queue: Message[] = [];
  const waiting: ((m: Message) => void)[] = [];
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) =>
    decoder.push(chunk, (frame) => {
      const m = decodeMessage(Buffer.from(frame));
      const w = waiting.shift();
      if (w !== undefined) w(m);
      else queue.push(m);
    }),
  );
  const closed = once(socket, 'close');
  return {
    next: (what = 'a message') => {
      const m = queue.shift();
      return m !== undefined ? Promise.resolve(m) : within(new Promise<Message>((resolve) => waiting.push(resolve)), WAIT_MS, what);
    },
    closed: within(closed, WAIT_MS, 'socket close'),
  };
}

/** Expects `promise` to reject with a ProtocolError of `code`. */
async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<ProtocolError> {
  const err = await within(
    promise.then(
      () => null,
      (e: unknown) => e,
    ),
    WAIT_MS,
    `rejection with ${code}`,
  );
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe(code);
  return err as ProtocolError;
}

const acceptOptions = (extra: Partial<AcceptOptions> = {}): AcceptOptions => ({
  secret: SECRET,
  role: 'gateway',
  nodeId: 'gw-1',
  allowedRoles: ['worker', 'client'],
  link: linkOptions({ handshakeTimeoutMs: 2_000 }),
  ...extra,
});

/** A server whose sockets go through acceptLink; `accepted` collects the outcomes in order. */
async function acceptingServer(extra: Partial<AcceptOptions> = {}): Promise<{ port: number; next(): Promise<AcceptedLink> }> {
  const results: Promise<AcceptedLink>[] = [];
  let notify: () => void = () => {};
  const port = await listen((socket) => {
    const p = acceptLink(socket, acceptOptions(extra));
    p.catch(() => {}); // observed through next()
    results.push(p);
    notify();
  });
  return {
    port,
    next: async () => {
      if (results.length === 0) await within(new Promise<void>((resolve) => (notify = resolve)), WAIT_MS, 'an accepted socket');
      return results.shift() as Promise<AcceptedLink>;
    },
  };
}

function nextMessage(link: Link, what: string): Promise<Message> {
  return within(new Promise<Message>((resolve) => (link.onMessage = resolve)), WAIT_MS, what);
}

describe('acceptLink / connectLink', () => {
  it('authenticate both ways and carry messages in both directions', async () => {
    const server = await acceptingServer();
    const connected = await connectLink({ host: '127.0.0.1', port: server.port, secret: SECRET, role: 'worker', nodeId: 'w-1' });
    const accepted = await server.next();
    expect(accepted.peerRole).toBe('worker');
    expect(accepted.peerNodeId).toBe('w-1');
    expect(connected.serverRole).toBe('gateway');
    expect(connected.serverNodeId).toBe('gw-1');

    const toServer = nextMessage(accepted.link, 'WorkerReady');
    connected.link.send({ op: Op.WorkerReady, workerId: 'w-1', pid: 1 });
    expect(await toServer).toEqual({ op: Op.WorkerReady, workerId: 'w-1', pid: 1 });
    const toWorker = nextMessage(connected.link, 'DrainAck');
    accepted.link.send({ op: Op.DrainAck });
    expect(await toWorker).toEqual({ op: Op.DrainAck });

    await within(Promise.all([connected.link.close(), accepted.link.closed]), WAIT_MS, 'close');
  });

  it('delivers messages the accepting side sends at once, in the same write as AuthOk', async () => {
    // The accepting side writes AuthOk and the next frames in one tick (one write), so they reach
    // the connecting side in one chunk, before connectLink has resolved and the caller set onMessage.
    const port = await listen((socket) => {
      void acceptLink(socket, acceptOptions()).then(({ link }) => {
        link.send({ op: Op.GatewayDown, gatewayId: 'first' });
        link.send({ op: Op.GatewayDown, gatewayId: 'second' });
        void link.close();
      });
    });
    const { link } = await connectLink({ host: '127.0.0.1', port, secret: SECRET, role: 'client', nodeId: 'c' });
    const received: Message[] = [];
    const closedWith = new Promise<Error | null>((resolve) => (link.onClose = resolve));
    link.onMessage = (m) => received.push(m);
    expect(await within(closedWith, WAIT_MS, 'onClose')).toBeNull();
    expect(received).toEqual([
      { op: Op.GatewayDown, gatewayId: 'first' },
      { op: Op.GatewayDown, gatewayId: 'second' },
    ]);
  });

  it('tells an onClose set after the close happened, once', async () => {
    const port = await listen((socket) => void acceptLink(socket, acceptOptions()).then(({ link }) => link.close()));
    const { link } = await connectLink({ host: '127.0.0.1', port, secret: SECRET, role: 'client', nodeId: 'c' });
    expect(await within(link.closed, WAIT_MS, 'close')).toBeNull();
    const onClose = vi.fn();
    link.onClose = onClose;
    link.onMessage = () => {};
    await within(
      vi.waitFor(() => expect(onClose).toHaveBeenCalledWith(null)),
      WAIT_MS,
      'onClose',
    );
    link.onClose = onClose;
    await Promise.resolve();
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('with a wrong secret: connectLink rejects with GW_ERR_AUTH_FAILED (told by the peer), acceptLink rejects too', async () => {
    const server = await acceptingServer();
    const connecting = connectLink({ host: '127.0.0.1', port: server.port, secret: 'wrong', role: 'worker', nodeId: 'w-1' });
    const peerErr = await rejectsWith(connecting, ErrorCode.AuthFailed);
    expect(peerErr.message).toMatch(/^peer: /);
    await rejectsWith(server.next(), ErrorCode.AuthFailed);
  });

  it('refuses a role the accepting side does not take, on both sides', async () => {
    const server = await acceptingServer({ allowedRoles: ['worker'] });
    await rejectsWith(connectLink({ host: '127.0.0.1', port: server.port, secret: SECRET, role: 'gateway', nodeId: 'g' }), ErrorCode.RoleRefused);
    await rejectsWith(server.next(), ErrorCode.RoleRefused);
  });

  it('reports a version mismatch to a scripted peer that speaks another version', async () => {
    const server = await acceptingServer();
    const peer = await rawConnect(server.port);
    const frames = reader(peer);
    const hello = (await frames.next('Hello')) as HelloMsg;
    expect(hello).toMatchObject({ op: Op.Hello, version: PROTOCOL_VERSION, role: 'gateway', nodeId: 'gw-1' });
    peer.write(encodeMessage({ ...answerHello(hello, SECRET, 'worker', 'w-1'), version: PROTOCOL_VERSION + 1 }));
    await rejectsWith(server.next(), ErrorCode.VersionMismatch);
    expect(await frames.next('Error frame')).toMatchObject({ op: Op.Error, code: 5 });
    await frames.closed;
  });

  it('connectLink refuses a scripted server of another version, and tells it why', async () => {
    let serverFrames!: ReturnType<typeof reader>;
    const port = await listen((socket) => {
      serverFrames = reader(socket);
      socket.write(encodeMessage({ op: Op.Hello, version: PROTOCOL_VERSION + 1, nonce: Buffer.alloc(16), role: 'register', nodeId: 'r' }));
    });
    await rejectsWith(connectLink({ host: '127.0.0.1', port, secret: SECRET, role: 'client', nodeId: 'c' }), ErrorCode.VersionMismatch);
    expect(await serverFrames.next('Error frame')).toMatchObject({ op: Op.Error, code: 5 });
  });

  it('connectLink refuses a scripted server that does not know the secret (mutual auth)', async () => {
    let serverFrames!: ReturnType<typeof reader>;
    const port = await listen((socket) => {
      serverFrames = reader(socket);
      socket.write(encodeMessage({ op: Op.Hello, version: PROTOCOL_VERSION, nonce: Buffer.alloc(16, 9), role: 'register', nodeId: 'fake' }));
      void serverFrames.next('Auth').then((auth) => {
        expect(auth.op).toBe(Op.Auth);
        socket.write(encodeMessage({ op: Op.AuthOk, proof: Buffer.alloc(32, 1) }));
      });
    });
    const err = await rejectsWith(connectLink({ host: '127.0.0.1', port, secret: SECRET, role: 'client', nodeId: 'c' }), ErrorCode.AuthFailed);
    expect(err.message).toContain('fake');
    expect(await serverFrames.next('Error frame')).toMatchObject({ op: Op.Error, code: 6 });
  });

  it('garbage bytes make acceptLink reject and close that socket', async () => {
    const server = await acceptingServer();
    const peer = await rawConnect(server.port);
    const frames = reader(peer);
    expect((await frames.next('Hello')).op).toBe(Op.Hello);
    peer.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await rejectsWith(server.next(), ErrorCode.FrameTooLarge);
    expect(await frames.next('Error frame')).toMatchObject({ op: Op.Error, code: 1 });
    await frames.closed;
  });

  it('an unexpected message during the handshake is refused', async () => {
    const server = await acceptingServer();
    const peer = await rawConnect(server.port);
    const frames = reader(peer);
    await frames.next('Hello');
    peer.write(encodeMessage({ op: Op.WorkerReady, workerId: 'w', pid: 1 }));
    await rejectsWith(server.next(), ErrorCode.Unexpected);
    expect(await frames.next('Error frame')).toMatchObject({ op: Op.Error, code: 9 });
  });

  it('a silent peer makes acceptLink time out', async () => {
    const server = await acceptingServer({ link: linkOptions({ handshakeTimeoutMs: 100 }) });
    const peer = await rawConnect(server.port);
    const frames = reader(peer);
    await frames.next('Hello');
    await rejectsWith(server.next(), ErrorCode.HandshakeTimeout);
    expect(await frames.next('Error frame')).toMatchObject({ op: Op.Error, code: 7 });
    await frames.closed;
  });

  it('a closed socket makes connectLink reject with GW_ERR_LINK_CLOSED', async () => {
    const port = await listen((socket) => socket.end());
    await rejectsWith(connectLink({ host: '127.0.0.1', port, secret: SECRET, role: 'client', nodeId: 'c' }), ErrorCode.LinkClosed);
  });
});

describe('Link', () => {
  it('answers pings by itself and does not pass them on', async () => {
    const [a, b] = await socketPair();
    const link = new Link(a, linkOptions({ pingIntervalMs: 0 }));
    const onMessage = vi.fn();
    link.onMessage = onMessage;
    const frames = reader(b);
    b.write(encodeMessage({ op: Op.Ping, t: 123_456 }));
    expect(await frames.next('Pong')).toEqual({ op: Op.Pong, t: 123_456 });
    b.write(encodeMessage({ op: Op.Pong, t: 1 }));
    b.write(encodeMessage({ op: Op.Drain }));
    await within(
      vi.waitFor(() => expect(onMessage).toHaveBeenCalledTimes(1)),
      WAIT_MS,
      'Drain',
    );
    expect(onMessage).toHaveBeenCalledWith({ op: Op.Drain });
    link.destroy();
  });

  it('pings a silent peer, then destroys the link with GW_ERR_HEARTBEAT_TIMEOUT', async () => {
    const [a, b] = await socketPair();
    const link = new Link(a, linkOptions({ pingIntervalMs: 20, timeoutMs: 100 }));
    const onClose = vi.fn();
    link.onClose = onClose;
    const frames = reader(b);
    expect((await frames.next('Ping')).op).toBe(Op.Ping);
    const err = await within(link.closed, WAIT_MS, 'heartbeat timeout');
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(ErrorCode.HeartbeatTimeout);
    expect(onClose).toHaveBeenCalledWith(err);
    await frames.closed;
  });

  it('after a pause, reads what waits in the socket before judging the link silent', async () => {
    const [a, b] = await socketPair();
    const link = new Link(a, linkOptions({ pingIntervalMs: 20, timeoutMs: 150 }));
    const peer = new Link(b, linkOptions({ pingIntervalMs: 0 }));
    const delivered = new Promise<boolean>((resolve) => (link.onMessage = () => resolve(link.isOpen)));
    // The peer's frame reaches the kernel, then this process freezes (like SIGSTOP) past the timeout.
    peer.send({ op: Op.Drain });
    peer.flush();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
    expect(await within(delivered, WAIT_MS, 'the frame sent before the pause')).toBe(true);
    // The peer answers pings from now on: the link stays up.
    let pings = 0;
    await within(new Promise<void>((resolve) => b.on('data', () => ++pings >= 10 && resolve())), WAIT_MS, '10 pings');
    expect(link.isOpen).toBe(true);
    await within(Promise.all([link.close(), peer.closed]), WAIT_MS, 'close');
  });

  it('refuses a server stating another gateway id than the one dialled, naming both', async () => {
    const server = await acceptingServer({ gatewayId: 'gwaaaaaaaaaa' });
    const attempt = connectLink({
      host: '127.0.0.1',
      port: server.port,
      secret: SECRET,
      role: 'worker',
      nodeId: 'w-1',
      expectGatewayId: 'gwbbbbbbbbbb',
    });
    const err = await rejectsWith(attempt, ErrorCode.WrongGateway);
    expect(err.message).toContain('gwaaaaaaaaaa');
    expect(err.message).toContain('gwbbbbbbbbbb');
    // The gateway is told why.
    const refused = await rejectsWith(server.next(), ErrorCode.WrongGateway);
    expect(refused.message).toContain('gwbbbbbbbbbb');
    // The right id is accepted, and reported.
    const ok = await connectLink({
      host: '127.0.0.1',
      port: server.port,
      secret: SECRET,
      role: 'worker',
      nodeId: 'w-1',
      expectGatewayId: 'gwaaaaaaaaaa',
    });
    expect(ok.serverGatewayId).toBe('gwaaaaaaaaaa');
    await server.next();
    ok.link.destroy();
  });

  it('refuses a peer of another cluster on both ends', async () => {
    const server = await acceptingServer({ cluster: 'prod' });
    await rejectsWith(
      connectLink({ host: '127.0.0.1', port: server.port, secret: SECRET, role: 'worker', nodeId: 'w-1', cluster: 'dev' }),
      ErrorCode.ClusterMismatch,
    );
    await rejectsWith(server.next(), ErrorCode.ClusterMismatch);
    const ok = await connectLink({ host: '127.0.0.1', port: server.port, secret: SECRET, role: 'worker', nodeId: 'w-1', cluster: 'prod' });
    await server.next();
    ok.link.destroy();
  });

  it('stays up past its timeout while the peer answers pings', async () => {
    const [a, b] = await socketPair();
    // The timeout leaves room for event-loop stalls when the test machine is busy.
    const link = new Link(a, linkOptions({ pingIntervalMs: 20, timeoutMs: 250 }));
    const peer = new Link(b, linkOptions({ pingIntervalMs: 0 }));
    // Wait for 20 pings to reach the peer: at least 400 ms, well past the 250 ms timeout.
    let pings = 0;
    const enough = new Promise<void>((resolve) => b.on('data', () => ++pings >= 20 && resolve()));
    await within(enough, WAIT_MS, '20 pings');
    expect(link.isOpen).toBe(true);
    await within(Promise.all([link.close(), peer.closed]), WAIT_MS, 'close');
  });

  it('sends the frames written in one tick in one socket write, in order', async () => {
    const [a, b] = await socketPair();
    const link = new Link(a, linkOptions({ pingIntervalMs: 0 }));
    const peer = new Link(b, linkOptions({ pingIntervalMs: 0 }));
    const received: Message[] = [];
    const all = new Promise<void>((resolve) => {
      peer.onMessage = (m) => received.push(m) === 100 && resolve();
    });
    const writev = vi.spyOn(a as unknown as { _writev: (...args: unknown[]) => void }, '_writev');
    const write = vi.spyOn(a as unknown as { _write: (...args: unknown[]) => void }, '_write');
    for (let i = 1; i <= 100; i++) link.send({ op: Op.Ack, seq: i });
    await within(all, WAIT_MS, '100 Acks');
    expect(received.map((m) => (m.op === Op.Ack ? m.seq : -1))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(writev.mock.calls.length + write.mock.calls.length).toBe(1);
    link.destroy();
    peer.destroy();
  });

  it('close() is idempotent and flushes queued frames first', async () => {
    const [a, b] = await socketPair();
    const link = new Link(a, linkOptions({ pingIntervalMs: 0 }));
    const frames = reader(b);
    link.send({ op: Op.Drain });
    const first = link.close();
    const second = link.close();
    expect(await within(first, WAIT_MS, 'close')).toBeNull();
    expect(await second).toBeNull();
    expect(await link.close()).toBeNull();
    expect(await frames.next('Drain')).toEqual({ op: Op.Drain });
    expect(link.isOpen).toBe(false);
    expect(link.send({ op: Op.Drain })).toBe(false);
    link.destroy(); // after close: harmless
    await frames.closed;
  });

  it('an oversized frame from the peer closes the link with GW_ERR_FRAME_TOO_LARGE and tells the peer', async () => {
    const [a, b] = await socketPair();
    const link = new Link(a, linkOptions({ pingIntervalMs: 0, maxFrameBytes: 1024 }));
    const frames = reader(b);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(1025, 0);
    b.write(prefix);
    expect(await frames.next('Error frame')).toMatchObject({ op: Op.Error, code: 1 });
    const err = await within(link.closed, WAIT_MS, 'close');
    expect((err as ProtocolError).code).toBe(ErrorCode.FrameTooLarge);
  });

  it('passes on nothing after a bad frame, even frames that arrive later', async () => {
    let accepted!: (s: Socket) => void;
    const serverSide = new Promise<Socket>((resolve) => (accepted = resolve));
    const port = await listen((s) => accepted(s));
    const peer = await rawConnect(port, true); // stays writable after the link ends its side
    const link = new Link(await within(serverSide, WAIT_MS, 'accept'), linkOptions({ pingIntervalMs: 0 }));
    const onMessage = vi.fn();
    link.onMessage = onMessage;
    const frames = reader(peer);
    peer.write(Buffer.from([0, 0, 0, 1, 99])); // unknown opcode 99
    expect(await frames.next('Error frame')).toMatchObject({ op: Op.Error, code: 3 });
    peer.end(encodeMessage({ op: Op.Drain }));
    const err = await within(link.closed, WAIT_MS, 'close');
    expect((err as ProtocolError).code).toBe(ErrorCode.UnknownOpcode);
    expect(onMessage).not.toHaveBeenCalled();
  });

  it('closes with GW_ERR_LINK_CLOSED when the peer does not read and the write buffer overflows', async () => {
    const [a, b] = await socketPair();
    b.pause();
    const link = new Link(a, linkOptions({ pingIntervalMs: 0, maxBufferedBytes: 64 * 1024 }));
    const chunk = Buffer.alloc(64 * 1024);
    let sent = 0;
    while (link.sendFrame(encodeMessage({ op: Op.SendToClient, client: 1, binary: true, payload: chunk }))) sent++;
    expect(sent).toBeLessThan(10_000);
    const err = await within(link.closed, WAIT_MS, 'close');
    expect((err as ProtocolError).code).toBe(ErrorCode.LinkClosed);
  });
});
