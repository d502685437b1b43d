import type { Sample } from '../admin/snapshot.js';
import type { ConfigManagerStatus } from './manager.js';

/** The config manager's counters as metric samples (`/metrics`), labelled by the caller with role and index. */
export function configSamples(status: ConfigManagerStatus): Sample[] {
  const out: Sample[] = [
    {
      metric: 'gateworker_config_changes_applied_total',
      help: 'Live configuration changes applied (config centre or watched file)',
      type: 'counter',
      value: status.applied,
    },
    {
      metric: 'gateworker_config_changes_refused_total',
      help: 'Configuration changes refused whole as invalid (the running configuration stayed)',
      type: 'counter',
      value: status.refused,
    },
  ];
  if (status.centre !== null) {
    out.push({
      metric: 'gateworker_config_centre_connected',
      help: 'The config centre is reachable (1) or not (0; the last good configuration runs)',
      type: 'gauge',
      value: status.centreState === 'connected' ? 1 : 0,
    });
  }
  return out;
}
