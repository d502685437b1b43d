/** @gateworker/bus: Redis pub/sub and AMQP (RabbitMQ) bridges that let any language push to a gateway's clients. */
export { Bus } from './bus.js';
export type { BusSnapshot } from './bus.js';
export {
  resolveBusOptions,
  backoffDelayMs,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_REDIS_CHANNEL,
  DEFAULT_AMQP_EXCHANGE,
  AMQP_MODES,
  DEFAULT_RECONNECT_MIN_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_BIND_DELAY_MS,
  DEFAULT_BIND_BATCH_MAX,
  DEFAULT_REJECT_LOG_INTERVAL_MS,
} from './options.js';
export type { BusOptions, ResolvedBusOptions, AmqpMode } from './options.js';
export { BUS_OPS, busMessageSchema, busMessageJsonSchema, parseBusMessage, RejectReason } from './message.js';
export type { BusOp, BusCommand, ParseResult } from './message.js';
export { routingKeysFor, uidKey, groupKey, gatewayKey, ALL_KEY } from './routing-keys.js';
export type { BridgeSnapshot, BridgeState, BridgeKind } from './stats.js';
export type { BusTarget } from './target.js';
export { BusError, BusErrorCode, isBusError } from './errors.js';
