import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Framing, type Client, type ClientTransport, type CloseReason } from '../client.js';
import { isGatewayError } from '../errors.js';
import type { ResolvedListenerOptions } from '../options.js';
import { encodeLengthPrefixed, encodeLine, encodeRaw, pushLengthPrefixed, pushLine, pushRaw } from './framing.js';
import { ListenerCounters, listenerSnapshot, type ListenerSnapshot } from '../counters.js';
import { ConnectionLimits, SHUTTING_DOWN, type ListenerHost } from './host.js';
import { boundAddress, listen } from '@gateworker/protocol/node';

/** The client record hangs off its socket under this key, so event handlers are shared functions. */
const kClient = Symbol('gateworker.client');
type TaggedSocket = Socket & { [kClient]: Client };

const FRAMINGS = { line: Framing.Line, length: Framing.Length, raw: Framing.Raw } as const;

/**
 * A tcp:// listener (TLS when `tls` is given) with a framing. Lines are text messages; length
 * and raw framings carry binary messages. Idle detection is the gateway's heartbeat sweep.
 */
export class TcpListener implements ClientTransport {
  readonly framing: Framing;
  readonly url: string;
  private readonly server: Server;
  private readonly limits: ConnectionLimits;
  readonly counters = new ListenerCounters();

  constructor(
    /** Replaced whole by a live change (only the limits differ then). */
    public options: ResolvedListenerOptions,
    readonly host: ListenerHost,
  ) {
    this.url = options.url;
    this.framing = FRAMINGS[options.framing];
    this.limits = new ConnectionLimits(options.maxConnections, options.maxConnectionsPerIp);
    if (options.tls === null) {
      this.server = createNetServer({ noDelay: true }, (socket) => this.connection(socket));
    } else {
      this.server = createTlsServer({ cert: options.tls.cert, key: options.tls.key, handshakeTimeout: options.handshakeTimeoutMs }, (socket) =>
        this.connection(socket),
      );
      this.server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
        host.log.debug({ err, listener: this.url, remoteAddress: socket.remoteAddress }, 'TLS handshake failed');
      });
    }
  }

  /** A live change of the limits (the url, framing and TLS stay): they apply to new connections and messages. */
  reconfigure(options: ResolvedListenerOptions): void {
    this.options = options;
    this.limits.setLimits(options.maxConnections, options.maxConnectionsPerIp);
  }

  get connections(): number {
    return this.limits.count;
  }

  snapshot(): ListenerSnapshot {
    return listenerSnapshot(this.url, this.limits.count, this.counters);
  }

  async listen(): Promise<void> {
    await listen(this.server, this.options.host, this.options.port, (err) => this.host.log.error({ err, listener: this.url }, 'listener error'));
  }

  address(): { host: string; port: number } {
    return boundAddress(this.server, this.options.host, this.options.port);
  }

  stopAccepting(): void {
    this.server.close();
  }

  /** Stops accepting; the gateway destroys the clients (it has them all in its table). */
  destroy(): void {
    this.server.close();
  }

  frame(payload: Uint8Array, _binary: boolean): Buffer {
    switch (this.framing) {
      case Framing.Line:
        return encodeLine(payload);
      case Framing.Length:
        return encodeLengthPrefixed(payload);
      default:
        return encodeRaw(payload);
    }
  }

  close(client: Client, why: CloseReason, data: Buffer | null): void {
    const socket = client.socket as Socket;
    if (why.abort) {
      socket.destroy();
      return;
    }
    if (data !== null) socket.end(data);
    else socket.end();
    if (why.deadlineMs !== undefined) setTimeout(() => socket.destroy(), why.deadlineMs).unref();
  }

  ping(_client: Client): void {
    // TCP clients have no protocol-level ping: the sweep closes them after timeoutMs of silence.
  }

  private connection(socket: Socket): void {
    const { host } = this;
    const ip = socket.remoteAddress ?? '';
    const refusal = host.accepting ? this.limits.refusal(ip) : SHUTTING_DOWN;
    if (refusal !== null) {
      host.counters.clientsRejected++;
      this.counters.refused(refusal.reason);
      host.throttle.warn(`refuse:${this.url}`, { listener: this.url, remoteAddress: ip, reason: refusal.text }, 'client connection refused');
      socket.destroy();
      return;
    }
    this.limits.opened(ip);
    socket.setNoDelay(true);
    const client = host.accept(this, socket, { listener: this.url, remoteAddress: ip, remotePort: socket.remotePort ?? 0, request: null });
    (socket as TaggedSocket)[kClient] = client;
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  /** @internal */
  receive(client: Client, chunk: Buffer): void {
    const max = this.options.maxMessageBytes;
    try {
      switch (this.framing) {
        case Framing.Line:
          client.inbound = pushLine(client.inbound, chunk, max, emitText, client);
          break;
        case Framing.Length:
          client.inbound = pushLengthPrefixed(client.inbound, chunk, max, emitBinary, client);
          break;
        default:
          pushRaw(chunk, max, emitBinary, client);
      }
    } catch (err) {
      if (!isGatewayError(err)) throw err;
      this.host.counters.oversizeMessages++;
      this.host.throttle.warn(
        `oversize:${this.url}`,
        { client: client.num, listener: this.url, maxBytes: max, err: err.message },
        'client message too large: connection closed',
      );
      client.inbound = null;
      (client.socket as Socket).destroy();
    }
  }

  /** @internal */
  released(client: Client, socket: Socket): void {
    this.limits.closed(socket.remoteAddress ?? '');
    this.host.closed(client);
  }
}

function emitText(payload: Buffer, client: Client): void {
  if (client.isOpen) (client.transport as TcpListener).host.message(client, payload, false);
}

function emitBinary(payload: Buffer, client: Client): void {
  if (client.isOpen) (client.transport as TcpListener).host.message(client, payload, true);
}

function onData(this: Socket, chunk: Buffer): void {
  const client = (this as TaggedSocket)[kClient];
  (client.transport as TcpListener).receive(client, chunk);
}

function onError(this: Socket, err: Error): void {
  const client = (this as TaggedSocket)[kClient];
  (client.transport as TcpListener).host.log.debug({ client: client.num, err }, 'client socket error');
}

function onClose(this: Socket): void {
  const client = (this as TaggedSocket)[kClient];
  (client.transport as TcpListener).released(client, this);
}
