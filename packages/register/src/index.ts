/** @gateworker/register: the directory of live gateways (RegisterServer) and its client (RegisterClient). */
export { RegisterServer } from './register-server.js';
export type { RegisterSnapshot } from './register-server.js';
export { RegisterClient } from './register-client.js';
export type { RegisterClientEvents } from './register-client.js';
export { Registry } from './registry.js';
export type { AnnounceResult, RemoveResult } from './registry.js';
export { GatewayView, mergeStatus } from './merge.js';
export type { ViewChange, MergedClusterStatus, RegisterStatusEntry } from './merge.js';
export * from './errors.js';
export * from './options.js';
export type { LinkOptions, ResolvedLinkOptions } from '@gateworker/protocol';
