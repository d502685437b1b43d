import type { BusSnapshot } from '@gateworker/bus';
import type { Sample } from './snapshot.js';

/**
 * The bus bridges of a gateway process as metric samples (labels `bridge`, and `reason` for
 * rejects; `role` and `index` are added by the registry). Names: docs/bus.md.
 */
export function busSamples(bus: BusSnapshot): Sample[] {
  const out: Sample[] = [];
  for (const b of bus.bridges) {
    const labels = { bridge: b.bridge };
    out.push(
      { metric: 'gateworker_bus_up', help: 'The bus bridge is connected and subscribed (1) or not (0)', type: 'gauge', value: b.up, labels },
      {
        metric: 'gateworker_bus_connects_total',
        help: 'Bus bridge connections established (the first and every reconnect)',
        type: 'counter',
        value: b.connects,
        labels,
      },
      { metric: 'gateworker_bus_disconnects_total', help: 'Bus bridge connections lost', type: 'counter', value: b.disconnects, labels },
      { metric: 'gateworker_bus_received_total', help: 'Bus messages received from the broker', type: 'counter', value: b.received, labels },
      {
        metric: 'gateworker_bus_applied_total',
        help: "Valid bus messages applied to this gateway's clients",
        type: 'counter',
        value: b.applied,
        labels,
      },
      { metric: 'gateworker_bus_deliveries_total', help: 'Client writes made for bus messages', type: 'counter', value: b.deliveries, labels },
    );
    for (const [reason, n] of Object.entries(b.rejected)) {
      out.push({
        metric: 'gateworker_bus_rejected_total',
        help: 'Bus messages ignored, by reason (not_json, unknown_op, invalid, too_large)',
        type: 'counter',
        value: n,
        labels: { ...labels, reason },
      });
    }
    if (b.bindings !== undefined) {
      out.push({
        metric: 'gateworker_bus_bindings',
        help: "AMQP routing mode: routing keys bound to this gateway's queue",
        type: 'gauge',
        value: b.bindings,
        labels,
      });
    }
  }
  return out;
}
