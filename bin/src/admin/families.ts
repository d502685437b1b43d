import type { HistogramSnapshot } from '@gateworker/worker';
import type { ProcessSnapshot } from './snapshot.js';

/**
 * The gateworker metric families, each computed from a process snapshot at scrape time. Names
 * are the contract of issue 12 (docs/operations.md lists them); label `role` and `index` are
 * added by the registry, so they are not listed here.
 */

export type Labels = Record<string, string>;

/** A series value as prom-client's JSON form has it (`metricName` for histogram parts). */
export interface SeriesValue {
  value: number;
  labels: Labels;
  metricName?: string;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values(s: ProcessSnapshot): SeriesValue[];
}

function one(value: number, labels: Labels = {}): SeriesValue {
  return { value, labels };
}

/** A histogram's series (cumulative buckets, +Inf, _sum, _count) under `labels`. */
export function histogramValues(name: string, h: HistogramSnapshot, labels: Labels): SeriesValue[] {
  const out: SeriesValue[] = [];
  let cumulative = 0;
  h.buckets.forEach((le, i) => {
    cumulative += h.counts[i] ?? 0;
    out.push({ metricName: `${name}_bucket`, value: cumulative, labels: { ...labels, le: String(le) } });
  });
  out.push({ metricName: `${name}_bucket`, value: h.count, labels: { ...labels, le: '+Inf' } });
  out.push({ metricName: `${name}_sum`, value: h.sumSeconds, labels });
  out.push({ metricName: `${name}_count`, value: h.count, labels });
  return out;
}

/** Gateway counters with a family of their own; every other counter gets `gateworker_gateway_<name>_total`. */
const MAPPED_GATEWAY_COUNTERS = new Set([
  'clientsAccepted',
  'clientsRejected',
  'messagesIn',
  'messagesOut',
  'bytesIn',
  'bytesOut',
  'eventsDroppedNoWorker',
  'redeliveredEvents',
  'slowClientCloses',
  'heartbeatTimeouts',
]);

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function gatewayCounter(name: string, help: string, field: string): Family {
  return { name, help, type: 'counter', values: (s) => (s.gateway === undefined ? [] : [one(s.gateway.counters[field] ?? 0)]) };
}

export const FAMILIES: readonly Family[] = [
  {
    name: 'gateworker_up',
    help: 'The process answered this scrape (1); the supervisor reports 0 for a position with no process or no answer',
    type: 'gauge',
    values: () => [one(1)],
  },
  {
    name: 'gateworker_ready',
    help: 'The process is ready (what /readyz checks): 1 or 0',
    type: 'gauge',
    values: (s) => [one(s.readiness.ready ? 1 : 0)],
  },
  {
    name: 'gateworker_process_restarts_total',
    help: 'Restarts of this supervised position after a crash',
    type: 'counter',
    values: (s) => (s.role === 'supervisor' ? [] : [one(s.process.restarts)]),
  },
  {
    name: 'gateworker_clients',
    help: 'Clients connected, per listener',
    type: 'gauge',
    values: (s) => s.gateway?.listeners.map((l) => one(l.clients, { listener: l.url })) ?? [],
  },
  {
    name: 'gateworker_connections_total',
    help: 'Client connections accepted, per listener',
    type: 'counter',
    values: (s) => s.gateway?.listeners.map((l) => one(l.accepted, { listener: l.url })) ?? [],
  },
  {
    name: 'gateworker_connections_refused_total',
    help: 'Client connections refused, per listener and reason (max_connections, max_connections_per_ip, shutting_down)',
    type: 'counter',
    values: (s) => s.gateway?.listeners.flatMap((l) => Object.entries(l.refused).map(([reason, n]) => one(n, { listener: l.url, reason }))) ?? [],
  },
  {
    name: 'gateworker_client_messages_received_total',
    help: 'Messages received from clients, per listener',
    type: 'counter',
    values: (s) => s.gateway?.listeners.map((l) => one(l.messagesIn, { listener: l.url })) ?? [],
  },
  gatewayCounter('gateworker_client_messages_sent_total', 'Messages written to client sockets (a broadcast to n clients counts n)', 'messagesOut'),
  gatewayCounter('gateworker_client_bytes_received_total', 'Payload bytes of the messages received from clients', 'bytesIn'),
  gatewayCounter('gateworker_client_bytes_sent_total', 'Bytes written to client sockets, framing included', 'bytesOut'),
  {
    name: 'gateworker_events_pending',
    help: 'Client events buffered in the gateway waiting for a worker',
    type: 'gauge',
    values: (s) => (s.gateway === undefined ? [] : [one(s.gateway.stats.pending)]),
  },
  {
    name: 'gateworker_events_dropped_total',
    help: 'Client events dropped, per reason (pending_full: the buffer for events no worker took was full)',
    type: 'counter',
    values: (s) => (s.gateway === undefined ? [] : [one(s.gateway.counters['eventsDroppedNoWorker'] ?? 0, { reason: 'pending_full' })]),
  },
  gatewayCounter('gateworker_events_redelivered_total', 'Unacknowledged events handed to another worker after a link was lost', 'redeliveredEvents'),
  gatewayCounter('gateworker_slow_client_closes_total', 'Clients closed because their send buffer was full', 'slowClientCloses'),
  gatewayCounter('gateworker_heartbeat_timeouts_total', 'Clients closed after the heartbeat timeout', 'heartbeatTimeouts'),
  {
    name: 'gateworker_worker_links',
    help: 'Internal links of the gateway, per state (connecting, ready, draining) and peer role',
    type: 'gauge',
    values: (s) => {
      if (s.gateway === undefined) return [];
      const counts = new Map<string, number>();
      for (const state of ['connecting', 'ready', 'draining']) counts.set(`${state}|worker`, 0);
      for (const l of s.gateway.links) counts.set(`${l.state}|${l.role}`, (counts.get(`${l.state}|${l.role}`) ?? 0) + 1);
      return [...counts].map(([key, n]) => {
        const [state = '', role = ''] = key.split('|');
        return one(n, { state, peer: role });
      });
    },
  },
  {
    name: 'gateworker_handler_duration_seconds',
    help: 'Handler callback durations (until the returned promise settles), per callback',
    type: 'histogram',
    values: (s) =>
      s.worker === undefined
        ? []
        : Object.entries(s.worker.callbacks).flatMap(([callback, c]) =>
            histogramValues('gateworker_handler_duration_seconds', c.duration, { callback }),
          ),
  },
  {
    name: 'gateworker_handler_errors_total',
    help: 'Handler callbacks that threw or rejected, per callback',
    type: 'counter',
    values: (s) => (s.worker === undefined ? [] : Object.entries(s.worker.callbacks).map(([callback, c]) => one(c.errors, { callback }))),
  },
  {
    name: 'gateworker_query_duration_seconds',
    help: 'Cluster-API query round trips (every gateway answered, or the timeout), per API method',
    type: 'histogram',
    values: (s) =>
      s.worker === undefined
        ? []
        : Object.entries(s.worker.queries).flatMap(([kind, h]) => histogramValues('gateworker_query_duration_seconds', h, { kind })),
  },
  {
    name: 'gateworker_events_in_flight',
    help: 'Client events a worker received and has not finished',
    type: 'gauge',
    values: (s) => (s.worker === undefined ? [] : [one(s.worker.inflight)]),
  },
  {
    name: 'gateworker_events_handled_total',
    help: 'Client events a worker finished',
    type: 'counter',
    values: (s) => (s.worker === undefined ? [] : [one(s.worker.handled)]),
  },
  {
    name: 'gateworker_gateways',
    help: 'Gateways known: announced to a register, or listed for a worker',
    type: 'gauge',
    values: (s) => (s.register !== undefined ? [one(s.register.gateways)] : s.worker !== undefined ? [one(s.worker.gatewaysListed)] : []),
  },
  {
    name: 'gateworker_workers',
    help: 'Workers subscribed to a register',
    type: 'gauge',
    values: (s) => (s.register === undefined ? [] : [one(s.register.workers)]),
  },
  {
    name: 'gateworker_reloads_total',
    help: 'Rolling reloads by `gateworker start`, per result (ok, failed)',
    type: 'counter',
    values: (s) =>
      s.supervisor === undefined ? [] : [one(s.supervisor.reloadsOk, { result: 'ok' }), one(s.supervisor.reloadsFailed, { result: 'failed' })],
  },
];

/**
 * Gateway counters without a family above (added by later work: commands dropped, poison
 * events…) are still exported, as `gateworker_gateway_<snake_case>_total`.
 */
export function extraGatewayFamilies(s: ProcessSnapshot): Family[] {
  if (s.gateway === undefined) return [];
  return Object.keys(s.gateway.counters)
    .filter((k) => !MAPPED_GATEWAY_COUNTERS.has(k))
    .map((k) => gatewayCounter(`gateworker_gateway_${snake(k)}_total`, `Gateway counter ${k} (see docs/operations.md)`, k));
}
