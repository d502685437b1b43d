/** @gateworker/worker: the handler runtime (BusinessWorker), the cluster API, and GatewayClient. */
export { BusinessWorker } from './business-worker.js';
export type { BusinessWorkerState, WorkerSnapshot, WorkerGatewaySnapshot } from './business-worker.js';
export { DURATION_BUCKETS_S, CALLBACK_NAMES } from './stats.js';
export type { HistogramSnapshot, CallbackName, CallbackSnapshot } from './stats.js';
export { GatewayClient } from './gateway-client.js';
export { defineHandler, loadHandler, HANDLER_CALLBACKS } from './handler.js';
export type { Handler, Client, WorkerContext, UpgradeRequest, Awaitable, AppConfig, ConfigChange, PoisonInfo } from './handler.js';
export { isPartialResult } from './cluster-api-types.js';
export type {
  ClusterApi,
  SendData,
  OneOrMany,
  Key,
  ExcludeOptions,
  QueryOptions,
  PartialResult,
  QueryAnswer,
  NoOptions,
  Session,
  SessionPatch,
} from './cluster-api-types.js';
export { StaticGatewayDirectory } from './directory.js';
export type { GatewayDirectory, StaticGateway } from './directory.js';
export {
  DEFAULT_QUERY_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_RECONNECT_MIN_MS,
  DEFAULT_RECONNECT_MAX_MS,
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- kept exported for code written against the old name
  DEFAULT_REGISTER_TIMEOUT_MS,
  resolveWorkerOptions,
  resolveClientOptions,
} from './options.js';
/** How often a worker pushes its WorkerInfo to the registers besides on state changes: @gateworker/register's constant. */
export { DEFAULT_STATS_INTERVAL_MS } from '@gateworker/register';
export { DEFAULT_COMMAND_BUFFER_MAX_BYTES, DEFAULT_COMMAND_BUFFER_MAX_AGE_MS } from './command-stream.js';
export type {
  BusinessWorkerOptions,
  GatewayClientOptions,
  CommonOptions,
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- kept exported for code written against the old name
  LinkTuning,
  ResolvedWorkerOptions,
  ResolvedClientOptions,
} from './options.js';
export * from './errors.js';
export type { Logger } from '@gateworker/protocol/node';
export type { LinkOptions, ResolvedLinkOptions } from '@gateworker/protocol';
