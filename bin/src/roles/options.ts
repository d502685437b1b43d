import { readFileSync } from 'node:fs';
import type { BusOptions } from '@gateworker/bus';
import { formatAddress, parseAddress } from '@gateworker/protocol';
import type { BusConfig, Config, ListenerConfig } from '../config/schema.js';

/**
 * Maps the validated config onto each package's options. The only place that knows both shapes;
 * the packages never see YAML keys, file paths for certificates, or env.
 */

/** Heartbeat of every internal link, as the packages' link options. */
export function linkTiming(config: Config): { pingIntervalMs: number; timeoutMs: number } {
  return { pingIntervalMs: config.links.heartbeat.interval, timeoutMs: config.links.heartbeat.timeout };
}

/**
 * What gateway process `index` announces: the advertise address as written; an explicit port
 * is shifted by the process index like the internal port (process k binds internal port + k).
 */
export function advertiseOf(advertise: string | undefined, index: number): string | undefined {
  if (advertise === undefined) return undefined;
  const { host, port } = parseAddress(advertise, { defaultPort: -1 });
  if (port === -1) return advertise;
  return formatAddress(host, port + index);
}

export function registersOf(config: Config, role: 'gateway' | 'worker'): string[] {
  const listed = role === 'gateway' ? config.gateway?.registers : config.worker?.registers;
  if (listed !== undefined) return [...listed];
  return config.register === undefined ? [] : [config.register.listen];
}

export function listenerOptions(l: ListenerConfig) {
  return {
    url: l.url,
    ...(l.framing !== undefined && { framing: l.framing }),
    ...(l.cert !== undefined && l.key !== undefined && { tls: { cert: readFileSync(l.cert), key: readFileSync(l.key) } }),
    ...(l.maxConnections !== undefined && { maxConnections: l.maxConnections }),
    ...(l.maxMessageSize !== undefined && { maxMessageBytes: l.maxMessageSize }),
    ...(l.handshakeTimeout !== undefined && { handshakeTimeoutMs: l.handshakeTimeout }),
    ...(l.maxConnectionsPerIp !== undefined && { maxConnectionsPerIp: l.maxConnectionsPerIp }),
  };
}

export function busOptions(b: BusConfig): Omit<BusOptions, 'target' | 'logger'> {
  return {
    ...(b.redis !== undefined && { redis: { url: b.redis.url, channel: b.redis.channel } }),
    ...(b.amqp !== undefined && { amqp: { url: b.amqp.url, exchange: b.amqp.exchange, mode: b.amqp.mode } }),
    maxMessageBytes: b.maxMessageSize,
  };
}
