import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { Framing, type Client, type ClientTransport, type CloseReason } from '../client.js';
import type { ResolvedListenerOptions } from '../options.js';
import { ConnectionLimits, type ListenerHost } from './host.js';

/** ws's frame builder (not in @types/ws): returns [header, payload] for one unmasked frame. */
interface SenderStatic {
  frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[];
}
const { Sender } = wsModule as unknown as { Sender: SenderStatic };

const OPCODE_TEXT = 1;
const OPCODE_BINARY = 2;
/** A server ping with no payload: the same two bytes for every client. */
const PING_FRAME = Buffer.from([0x89, 0x00]);

/** The client record hangs off its WebSocket under this key, so event handlers are shared functions. */
const kClient = Symbol('gateworker.client');
type TaggedWebSocket = WebSocket & { [kClient]: Client };

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One complete ws frame (header + payload in one Buffer), so a send is one socket write. */
export function frameWs(payload: Uint8Array, binary: boolean): Buffer {
  const parts = Sender.frame(asBuffer(payload), { fin: true, rsv1: false, opcode: binary ? OPCODE_BINARY : OPCODE_TEXT, mask: false, readOnly: false });
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

  constructor(
    readonly options: ResolvedListenerOptions,
    readonly host: ListenerHost,
  ) {
    this.url = options.url;
    this.limits = new ConnectionLimits(options.maxConnections, options.maxConnectionsPerIp);
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: options.maxMessageBytes });
    const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close', Upgrade: 'websocket' });
      res.end('WebSocket endpoint: upgrade required');
    };
    this.server = options.tls === null
      ? createHttpServer(onRequest)
      : createHttpsServer({ cert: options.tls.cert, key: options.tls.key, handshakeTimeout: options.handshakeTimeoutMs }, onRequest);
    // Until the upgrade completes the socket has handshakeTimeoutMs; ws clears the timeout once it owns the socket.
    this.server.timeout = options.handshakeTimeoutMs;
    this.server.headersTimeout = options.handshakeTimeoutMs;
    this.server.requestTimeout = options.handshakeTimeoutMs;
    this.server.keepAliveTimeout = Math.min(5000, options.handshakeTimeoutMs);
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('clientError', (_err, socket: Duplex) => socket.destroy());
  }

  get connections(): number {
    return this.limits.count;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.host.log.error({ err, listener: this.url }, 'listener error'));
        resolve();
      });
    });
  }

  address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo | null;
    return { host: a?.address ?? this.options.host, port: a?.port ?? this.options.port };
  }

  /** Stops accepting; upgraded clients are closed by the gateway. */
  stopAccepting(): void {
    this.server.close();
    this.server.closeIdleConnections();
  }

  destroy(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  frame(payload: Uint8Array, binary: boolean): Buffer {
    return frameWs(payload, binary);
  }

  close(client: Client, why: CloseReason, data: Buffer | null): void {
    const ws = client.ws;
    if (ws === null) return;
    if (data !== null && client.socket.writable) client.socket.write(data);
    if (why.abort) ws.terminate();
    else ws.close(why.code, why.reason);
  }

  ping(client: Client): void {
    if (client.isOpen && client.socket.writable) client.socket.write(PING_FRAME);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { host, options } = this;
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
    const refusal = host.accepting ? this.limits.refusal(ip) : 'the gateway is shutting down';
    if (refusal !== null) {
      host.counters.clientsRejected++;
      host.throttle.warn(`refuse:${this.url}`, { listener: this.url, remoteAddress: ip, reason: refusal }, 'client connection refused');
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
    (ws as TaggedWebSocket)[kClient] = client;
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  /** @internal socket closed: release the limits, then tell the gateway. */
  released(client: Client): void {
    this.limits.closed(client.socket.remoteAddress ?? '');
    this.host.closed(client);
  }
}

function clientOf(ws: WebSocket): Client {
  return (ws as TaggedWebSocket)[kClient];
}

function onMessage(this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  const client = clientOf(this);
  const listener = client.transport as WsListener;
  client.lastSeenMs = Date.now();
  const payload = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  listener.host.message(client, payload, isBinary);
}

function onPong(this: WebSocket): void {
  clientOf(this).lastSeenMs = Date.now();
}

function onError(this: WebSocket, err: Error & { code?: string }): void {
  const client = clientOf(this);
  const listener = client.transport as WsListener;
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    listener.host.counters.oversizeMessages++;
    listener.host.throttle.warn(`oversize:${listener.url}`, { client: client.num, listener: listener.url, maxBytes: listener.options.maxMessageBytes }, 'client message too large: closed (1009)');
  } else {
    listener.host.log.debug({ client: client.num, err }, 'client protocol error: closed');
  }
}

function onClose(this: WebSocket): void {
  const client = clientOf(this);
  (client.transport as WsListener).released(client);
}
