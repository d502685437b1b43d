import type { ConnectInfo } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import type { Client, ClientSocket, ClientTransport } from '../client.js';
import type { Counters, RefusalReason } from '../counters.js';
import type { LogThrottle } from '../throttle.js';

/** What a listener needs from the gateway. */
export interface ListenerHost {
  readonly log: Logger;
  readonly counters: Counters;
  readonly throttle: LogThrottle;
  /** False once the gateway is closing: new connections are refused. */
  readonly accepting: boolean;
  /** Registers a new client (number, table) and sends its ClientConnect. */
  accept(transport: ClientTransport, socket: ClientSocket, info: ConnectInfo): Client;
  /** A complete client message; `payload` may be a view (it is copied into the event). */
  message(client: Client, payload: Buffer, binary: boolean): void;
  /** The client's socket is closed: remove it and send its ClientClose. */
  closed(client: Client): void;
}

export interface Refusal {
  reason: RefusalReason;
  text: string;
}

export const SHUTTING_DOWN: Refusal = { reason: 'shutting_down', text: 'the gateway is shutting down' };

/** Per-listener connection accounting: max connections and per-IP limit. */
export class ConnectionLimits {
  count = 0;
  /** Connections per remote address, kept only while a per-address limit is set. */
  private perIp: Map<string, number> | null;

  constructor(
    public max: number,
    /** 0 = no limit. */
    public maxPerIp: number,
  ) {
    this.perIp = maxPerIp > 0 ? new Map() : null;
  }

  /**
   * A live change of the limits: applies to new connections; connected ones stay. A per-address
   * limit turned on counts the connections made from then on.
   */
  setLimits(max: number, maxPerIp: number): void {
    this.max = max;
    this.maxPerIp = maxPerIp;
    if (maxPerIp <= 0) this.perIp = null;
    else this.perIp ??= new Map();
  }

  /** Why a new connection from `ip` must be refused, or null if it may come in. */
  refusal(ip: string): Refusal | null {
    if (this.count >= this.max) return { reason: 'max_connections', text: `max connections (${this.max}) reached` };
    if (this.perIp !== null && (this.perIp.get(ip) ?? 0) >= this.maxPerIp) {
      return { reason: 'max_connections_per_ip', text: `max connections per IP (${this.maxPerIp}) reached for ${ip}` };
    }
    return null;
  }

  opened(ip: string): void {
    this.count++;
    if (this.perIp !== null) this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
  }

  closed(ip: string): void {
    this.count--;
    if (this.perIp === null) return;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }
}
