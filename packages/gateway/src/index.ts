/** @gateworker/gateway: client listeners (ws, wss, tcp), the client table, worker links, cluster commands. */
export { Gateway } from './gateway.js';
export type { GatewayEvents, GatewaySnapshot, GatewayLinkSnapshot, ClientDescription } from './gateway.js';
export type { ListenerSnapshot, RefusalReason } from './counters.js';
export type { LocalCommand, MembershipChange } from './local.js';
export {
  resolveGatewayOptions,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_PENDING_EVENTS_MAX,
  DEFAULT_PENDING_EVENTS_MAX_BYTES,
  DEFAULT_MAX_DELIVERIES,
  MAX_DELIVERIES_LIMIT,
  DEFAULT_SEND_BUFFER_MAX_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_CLIENT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_CLOSE_CLIENTS_TIMEOUT_MS,
  DEFAULT_CLOSE_EVENTS_TIMEOUT_MS,
  ROUTING_POLICIES,
  TCP_FRAMINGS,
  PENDING_EVENTS_POLICIES,
  SEND_BUFFER_POLICIES,
  POISON_POLICIES,
} from './options.js';
export { DEFAULT_LINK_WINDOW_EVENTS, DEFAULT_LINK_WINDOW_BYTES } from './worker-link.js';
/** The period of stats reports to the registers: @gateworker/register's constant. */
export { DEFAULT_STATS_INTERVAL_MS } from '@gateworker/register';
export type {
  GatewayLiveOptions,
  GatewayOptions,
  GatewayAnnouncer,
  ListenerOptions,
  ResolvedGatewayOptions,
  ResolvedListenerOptions,
  RoutingPolicy,
  TcpFraming,
  PendingEventsPolicy,
  SendBufferPolicy,
  PoisonPolicy,
  ListenerKind,
} from './options.js';
export { GatewayError, GatewayErrorCode, isGatewayError } from './errors.js';
export type { GatewayStats, BusBridgeStats, LinkOptions, ResolvedLinkOptions } from '@gateworker/protocol';
