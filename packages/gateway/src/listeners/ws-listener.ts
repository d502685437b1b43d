import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { Framing, type Client, type ClientTransport, type CloseReason } from '../client.js';
import type { ResolvedListenerOptions } from '../options.js';
import { ListenerCounters, listenerSnapshot, type ListenerSnapshot } from '../counters.js';
import { ConnectionLimits, SHUTTING_DOWN, type ListenerHost } from './host.js';
import { boundAddress, listen } from '@gateworker/protocol/node';

/** ws's frame builder (not in @types/ws): returns [header, payload] for one unmasked frame. */
interface SenderStatic {
  frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[];
}
const { Sender } = wsModule as unknown as { Sender: SenderStatic };

const OPCODE_TEXT = 1;
const OPCODE_BINARY = 2;
/** A server ping with no payload: the same two bytes for every client. */
const PING_FRAME = Buffer.from([0x89, 0x00]);

/**
 * The WebSocket class of gateway clients. It carries its client record in a field and handles
 * its own events in `emit`, so a connection registers no listeners and owns no closures: an idle
 * client costs less than with `ws.on(...)` (each listener key grows the emitter's dictionary).
 */
class ClientWebSocket extends WebSocket {
  client: Client | null = null;

  override emit(event: string | symbol, a?: unknown, b?: unknown): boolean {
    const client = this.client;
    // Before the client is attached (or when refused while closing) an 'error' must not throw.
    if (client === null) return event === 'error' ? true : super.emit(event, a, b);
    const listener = client.transport as WsListener;
    switch (event) {
      case 'message':
        listener.host.message(client, toBuffer(a as Buffer | ArrayBuffer | Buffer[]), b as boolean);
        return true;
      case 'close':
        listener.released(client);
        return true;
      case 'error':
        listener.clientError(client, a as Error & { code?: string });
        return true;
      case 'ping':
      case 'pong':
        // Liveness comes from bytes read (heartbeat sweep); ws answers pings itself.
        return true;
      default:
        return super.emit(event, a, b);
    }
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One complete ws frame (header + payload in one Buffer), so a send is one socket write. */
export function frameWs(payload: Uint8Array, binary: boolean): Buffer {
  const parts = Sender.frame(asBuffer(payload), {
    fin: true,
    rsv1: false,
    opcode: binary ? OPCODE_BINARY : OPCODE_TEXT,
    mask: false,
    readOnly: false,
  });
  const header = parts[0] as Buffer;
  const data = parts[1] as Buffer;
  const out = Buffer.allocUnsafe(header.length + data.length);
  header.copy(out, 0);
  data.copy(out, header.length);
  return out;
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
  // A peer that never reads must not keep the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * A ws:// or wss:// listener: an http(s) server whose upgrades go to a `noServer` WebSocketServer
 * (no compression, no client tracking, maxPayload = maxMessageBytes). Outgoing messages are
 * written as pre-built frames straight to the upgraded socket: with compression off, ws's own
 * Sender never holds anything queued, so frames cannot interleave.
 */
export class WsListener implements ClientTransport {
  readonly framing = Framing.Ws;
  readonly url: string;
  private readonly server: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly limits: ConnectionLimits;
  readonly counters = new ListenerCounters();
  /** Sockets accepted and not yet upgraded, with their accept time; swept for the handshake timeout. */
  private readonly handshaking = new Map<Duplex, number>();
  private handshakeTimer: NodeJS.Timeout | null = null;

  constructor(
    /** Replaced whole by a live change (only the limits differ then). */
    public options: ResolvedListenerOptions,
    readonly host: ListenerHost,
  ) {
    this.url = options.url;
    this.limits = new ConnectionLimits(options.maxConnections, options.maxConnectionsPerIp);
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: options.maxMessageBytes,
      WebSocket: ClientWebSocket,
    });
    const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close', Upgrade: 'websocket' });
      res.end('WebSocket endpoint: upgrade required');
    };
    this.server =
      options.tls === null
        ? createHttpServer(onRequest)
        : createHttpsServer({ cert: options.tls.cert, key: options.tls.key, handshakeTimeout: options.handshakeTimeoutMs }, onRequest);
    // Until the upgrade completes a socket has handshakeTimeoutMs (one sweep timer, no timer per socket).
    this.server.on(options.tls === null ? 'connection' : 'secureConnection', (socket: Duplex) => this.handshaking.set(socket, performance.now()));
    this.server.headersTimeout = options.handshakeTimeoutMs;
    this.server.requestTimeout = options.handshakeTimeoutMs;
    this.server.keepAliveTimeout = Math.min(5000, options.handshakeTimeoutMs);
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('clientError', (_err, socket: Duplex) => socket.destroy());
  }

  /**
   * A live change of the limits (the url, framing and TLS stay): connection limits and the
   * message size apply to new connections, the upgrade timeout to sockets still upgrading.
   */
  reconfigure(options: ResolvedListenerOptions): void {
    this.options = options;
    this.limits.setLimits(options.maxConnections, options.maxConnectionsPerIp);
    this.wss.options.maxPayload = options.maxMessageBytes;
    this.server.headersTimeout = options.handshakeTimeoutMs;
    this.server.requestTimeout = options.handshakeTimeoutMs;
    this.server.keepAliveTimeout = Math.min(5000, options.handshakeTimeoutMs);
  }

  get connections(): number {
    return this.limits.count;
  }

  snapshot(): ListenerSnapshot {
    return listenerSnapshot(this.url, this.limits.count, this.counters);
  }

  async listen(): Promise<void> {
    await listen(this.server, this.options.host, this.options.port, (err) => this.host.log.error({ err, listener: this.url }, 'listener error'));
    const period = Math.max(10, Math.min(1000, Math.floor(this.options.handshakeTimeoutMs / 2)));
    this.handshakeTimer = setInterval(() => this.sweepHandshakes(performance.now()), period);
    this.handshakeTimer.unref();
  }

  address(): { host: string; port: number } {
    return boundAddress(this.server, this.options.host, this.options.port);
  }

  /** Stops accepting; upgraded clients are closed by the gateway. */
  stopAccepting(): void {
    this.server.close();
    this.server.closeIdleConnections();
  }

  destroy(): void {
    if (this.handshakeTimer !== null) clearInterval(this.handshakeTimer);
    this.handshakeTimer = null;
    this.server.close();
    this.server.closeAllConnections();
    for (const socket of this.handshaking.keys()) socket.destroy();
    this.handshaking.clear();
  }

  private sweepHandshakes(nowMs: number): void {
    for (const [socket, since] of this.handshaking) {
      if (socket.destroyed) this.handshaking.delete(socket);
      else if (nowMs - since > this.options.handshakeTimeoutMs) {
        this.handshaking.delete(socket);
        socket.destroy();
      }
    }
  }

  frame(payload: Uint8Array, binary: boolean): Buffer {
    return frameWs(payload, binary);
  }

  close(client: Client, why: CloseReason, data: Buffer | null): void {
    const ws = client.ws;
    if (ws === null) return;
    if (data !== null && client.socket.writable) client.socket.write(data);
    if (why.abort) ws.terminate();
    else {
      ws.close(why.code, why.reason);
      if (why.deadlineMs !== undefined) setTimeout(() => ws.terminate(), why.deadlineMs).unref();
    }
  }

  ping(client: Client): void {
    if (client.isOpen && client.socket.writable) client.socket.write(PING_FRAME);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { host, options } = this;
    this.handshaking.delete(socket);
    const path = options.path;
    if (path !== null) {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      if ((q === -1 ? url : url.slice(0, q)) !== path) {
        rejectUpgrade(socket, 404, 'Not Found');
        return;
      }
    }
    const ip = req.socket.remoteAddress ?? '';
    const refusal = host.accepting ? this.limits.refusal(ip) : SHUTTING_DOWN;
    if (refusal !== null) {
      host.counters.clientsRejected++;
      this.counters.refused(refusal.reason);
      host.throttle.warn(`refuse:${this.url}`, { listener: this.url, remoteAddress: ip, reason: refusal.text }, 'client connection refused');
      rejectUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.upgraded(ws, req, socket as Socket, ip));
  }

  private upgraded(ws: WebSocket, req: IncomingMessage, socket: Socket, ip: string): void {
    if (!this.host.accepting) {
      ws.close(1001, 'going away');
      return;
    }
    this.limits.opened(ip);
    const client = this.host.accept(this, socket, {
      listener: this.url,
      remoteAddress: ip,
      remotePort: socket.remotePort ?? 0,
      request: { url: req.url ?? '/', headers: req.headers as Record<string, string | string[]>, remoteAddress: ip },
    });
    client.ws = ws;
    (ws as ClientWebSocket).client = client;
  }

  /** @internal ws reported a protocol error; it closes the connection itself (1009 for an oversize message). */
  clientError(client: Client, err: Error & { code?: string }): void {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.host.counters.oversizeMessages++;
      this.host.throttle.warn(
        `oversize:${this.url}`,
        { client: client.num, listener: this.url, maxBytes: this.options.maxMessageBytes },
        'client message too large: closed (1009)',
      );
    } else {
      this.host.log.debug({ client: client.num, err }, 'client protocol error: closed');
    }
  }

  /** @internal socket closed: release the limits, then tell the gateway. */
  released(client: Client): void {
    this.limits.closed(client.socket.remoteAddress ?? '');
    this.host.closed(client);
  }
}
