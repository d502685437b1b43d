import { encodeSendToClient, isPlainObject, Op } from '@gateworker/protocol';
import type { ConnectInfo, Message } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import type { ClusterApi, SendData, Session } from './cluster-api-types.js';
import type { GatewayLinks } from './gateway-links.js';
import type { Client } from './handler.js';
import type { ClientEvent, LinkSession } from './link-session.js';
import { keyOf, toPayload } from './payload.js';

/** What every client of a worker shares (one object, so a client costs one pointer for it). */
export interface ClientEnv {
  readonly api: ClusterApi;
  readonly links: GatewayLinks;
  readonly logger: Logger;
}

/** An event waiting for the client's previous one to finish. */
export interface QueuedEvent {
  readonly source: LinkSession;
  readonly event: ClientEvent;
}

/**
 * A client as this worker knows it: the `client` object handlers receive, plus the worker's
 * per-client state (session cache, event queue). Created at ClientConnect or lazily at the first
 * event for an unknown client; dropped once its ClientClose is handled or its link is gone.
 */
export class ClientContext<S extends object = Session> implements Client<S> {
  readonly id: string;
  listener = '';
  remoteAddress = '';
  remotePort = 0;
  /** The bound uid: from the gateway with the session, or as this worker bound it since. */
  uid: string | null = null;
  /** The gateway's own number for this client; commands carry it. */
  readonly number: number;
  readonly gatewayId: string;
  /** The link of the latest event; commands go out on it while it lives. */
  via: LinkSession;
  /** The bytes the gateway holds for this client, as far as we know (null = none = `{}`). */
  sessionBytes: Uint8Array | null = null;
  /** An event of this client is being handled; later ones wait in `queue`. */
  busy = false;
  queue: QueuedEvent[] | null = null;
  /** onWebSocketConnect refused it: no further callbacks. */
  rejected = false;
  /** Its ClientClose was received: forget it once idle. */
  gone = false;
  /** Its link died: forget it once idle (its next events, if routed here, rebuild it). */
  orphaned = false;
  private current: S;
  private readonly env: ClientEnv;

  constructor(env: ClientEnv, id: string, gatewayId: string, number: number, via: LinkSession) {
    this.env = env;
    this.id = id;
    this.gatewayId = gatewayId;
    this.number = number;
    this.via = via;
    this.current = {} as S;
  }

  get gateway(): ClusterApi<S> {
    // One untyped API object per worker; `S` only narrows what the handler sees.
    return this.env.api as unknown as ClusterApi<S>;
  }

  get session(): S {
    return this.current;
  }

  set session(value: S) {
    if (!isPlainObject(value)) throw new TypeError(`client.session must be a plain object, got ${value === null ? 'null' : typeof value}`);
    this.current = value;
  }

  /** @internal Replaces the session without the user-facing checks. */
  setSessionObject(value: Session): void {
    this.current = value as S;
  }

  /** @internal */
  applyConnectInfo(info: ConnectInfo): void {
    this.listener = info.listener;
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
  }

  /** The link commands for this client go out on, or null when the gateway is not connected. */
  link(): LinkSession | null {
    if (this.via.alive) return this.via;
    return this.env.links.peer(this.gatewayId)?.session ?? null;
  }

  /**
   * Where this client's commands go: its gateway's command stream (kept until applied, re-sent
   * after a reconnect), or the link itself when there is no stream (tests with bare sessions).
   * Null when the gateway is gone for good: the command is dropped, counted and logged.
   */
  private out(): { send(frame: Buffer): unknown; sendMessage(m: Message): unknown } | null {
    const stream = this.env.links.peer(this.gatewayId)?.stream;
    if (stream != null) return stream;
    return this.via.alive ? this.via : null;
  }

  send(data: SendData): void {
    const { binary, payload } = toPayload(data);
    const out = this.out();
    if (out === null) return this.dropped('send');
    out.send(encodeSendToClient(this.number, binary, payload));
  }

  close(data?: SendData): void {
    const p = data === undefined ? null : toPayload(data);
    const out = this.out();
    if (out === null) return this.dropped('close');
    out.sendMessage({ op: Op.CloseClient, client: this.number, data: p?.payload ?? null, binary: p?.binary ?? false });
  }

  bindUid(uid: string | number): void {
    const key = keyOf(uid, 'uid');
    const out = this.out();
    if (out === null) return this.dropped('bindUid');
    out.sendMessage({ op: Op.BindUid, client: this.number, uid: key });
    this.uid = key;
  }

  unbindUid(): void {
    const out = this.out();
    if (out === null) return this.dropped('unbindUid');
    out.sendMessage({ op: Op.UnbindUid, client: this.number });
    this.uid = null;
  }

  joinGroup(group: string | number): void {
    const key = keyOf(group, 'group');
    const out = this.out();
    if (out === null) return this.dropped('joinGroup');
    out.sendMessage({ op: Op.JoinGroup, client: this.number, group: key });
  }

  leaveGroup(group: string | number): void {
    const key = keyOf(group, 'group');
    const out = this.out();
    if (out === null) return this.dropped('leaveGroup');
    out.sendMessage({ op: Op.LeaveGroup, client: this.number, group: key });
  }

  toJSON(): object {
    return { id: this.id, remoteAddress: this.remoteAddress, remotePort: this.remotePort, listener: this.listener, uid: this.uid };
  }

  private dropped(what: string): void {
    this.env.logger.debug({ clientId: this.id, gatewayId: this.gatewayId }, `${what} dropped: the client's gateway is gone`);
    this.env.links.dropForUnknown?.(this.gatewayId);
  }
}
