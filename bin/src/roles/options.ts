import { readFileSync } from 'node:fs';
import type { BusOptions } from '@gateworker/bus';
import type { BusConfig, Config, ListenerConfig } from '../config/schema.js';

/**
 * Maps the validated config onto each package's options. The only place that knows both shapes;
 * the packages never see YAML keys, file paths for certificates, or env.
 */

export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(i + 1)) };
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
