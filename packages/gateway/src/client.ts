import type { WebSocket } from 'ws';
import type { ListenerCounters } from './counters.js';
import type { Inbound } from './listeners/framing.js';
import type { WorkerLink } from './worker-link.js';

/**
 * The part of a client socket the gateway writes to. A net.Socket / tls.TLSSocket satisfies it;
 * unit tests pass fakes.
 */
export interface ClientSocket {
  readonly writableLength: number;
  readonly writable: boolean;
  /** Bytes received so far: the heartbeat's sign of life (data, pongs, anything). */
  readonly bytesRead: number;
  /** Outstanding cork() calls (Writable.writableCorked). */
  readonly writableCorked: number;
  cork(): void;
  uncork(): void;
  readonly destroyed: boolean;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  write(bytes: Uint8Array): boolean;
}

/** Why the gateway closes a client; ws gets `code`/`reason`, tcp ends (or destroys when `abort`). */
export interface CloseReason {
  readonly code: number;
  readonly reason: string;
  /** Drop what is queued instead of flushing it. */
  readonly abort: boolean;
  /**
   * Graceful closes only: destroy the connection if it is not closed this many milliseconds
   * later (a slow client may never read up to the close frame queued behind its backlog).
   */
  readonly deadlineMs?: number;
}

/** How long a slow client gets to read its backlog up to the close frame before it is destroyed, in milliseconds. */
export const DEFAULT_SLOW_CLIENT_CLOSE_DEADLINE_MS = 5_000;

export const CloseReasons = {
  Normal: { code: 1000, reason: '', abort: false },
  GoingAway: { code: 1001, reason: 'going away', abort: false },
  // The close frame is queued behind what the client has not read yet: it sees 1008 if it reads on.
  SlowClient: { code: 1008, reason: 'slow client', abort: false, deadlineMs: DEFAULT_SLOW_CLIENT_CLOSE_DEADLINE_MS },
  TryAgainLater: { code: 1013, reason: 'try again later', abort: false },
  HeartbeatTimeout: { code: 1001, reason: 'heartbeat timeout', abort: true },
  // poison.policy 'close': an event of this client ended its worker maxDeliveries times.
  Poisoned: { code: 1011, reason: 'poisoned event', abort: false },
} as const satisfies Record<string, CloseReason>;

/** Framing kinds a broadcast caches its bytes by: one encode per kind, not per client. */
export const Framing = { Ws: 0, Line: 1, Length: 2, Raw: 3 } as const;
export type Framing = (typeof Framing)[keyof typeof Framing];
export const FRAMING_KINDS = 4;

/**
 * What a listener does for its clients. One instance per listener, shared by all its clients,
 * so a client record carries no closures.
 */
export interface ClientTransport {
  readonly framing: Framing;
  /** The listener URL as configured (ConnectInfo.listener). */
  readonly url: string;
  /** The listener's counters (messages and bytes in, accepted, refused). */
  readonly counters: ListenerCounters;
  /** The bytes that deliver `payload` as one message on this framing (built once per broadcast). */
  frame(payload: Uint8Array, binary: boolean): Buffer;
  /** Sends `data` first (already framed, may be null), then closes the client. */
  close(client: Client, why: CloseReason, data: Buffer | null): void;
  /** Heartbeat probe (ws ping); a no-op where the transport has none. */
  ping(client: Client): void;
}

export const ClientState = { Open: 0, Closing: 1, Closed: 2 } as const;
export type ClientState = (typeof ClientState)[keyof typeof ClientState];

/**
 * One connected client. Kept compact (tens of thousands per process): unused uid / groups /
 * session stay null, no timers, no closures, no retained upgrade request.
 */
export class Client {
  /** uid bound to this client, or null. A uid may have several clients. */
  uid: string | null = null;
  /** Groups joined, or null when none. */
  groups: Set<string> | null = null;
  /** Session as msgpack bytes of a plain object; null = {} (never set). Always an owned copy. */
  session: Uint8Array | null = null;
  /** Id of the worker link that holds the current session version, or 0. */
  sessionHolder = 0;
  /** The worker link this client's events go to (sticky) and where its in-flight events are. */
  link: WorkerLink | null = null;
  /** The link whose `clients` count includes this client (routing load), or null. */
  countedOn: WorkerLink | null = null;
  /** Events sent on `link` and not yet acknowledged. */
  inflight = 0;
  /** Events (frames, seq not yet assigned) waiting in the gateway, oldest first; null when none. */
  held: Buffer[] | null = null;
  /** Heartbeat: socket.bytesRead at the last sweep. */
  seenBytes = 0;
  /** Heartbeat: consecutive sweeps that found no new bytes from the client. */
  idleSweeps = 0;
  state: ClientState = ClientState.Open;
  /** TCP framings: an incomplete message, or null. */
  inbound: Inbound | null = null;
  /** ws clients: the WebSocket (close handshake, incoming frames); null for tcp. */
  ws: WebSocket | null = null;

  constructor(
    /** Gateway-local client number (1, 2, …); the client id is clientIdFor(gatewayId, num). */
    readonly num: number,
    readonly transport: ClientTransport,
    readonly socket: ClientSocket,
  ) {}

  get isOpen(): boolean {
    return this.state === ClientState.Open;
  }
}
