import { readClusterView, type ClusterView } from '@gateworker/discovery';
import type { ClusterStatus } from '@gateworker/protocol';
import { RegisterClient } from '@gateworker/register';
import type { LoadedConfig } from '../config/load.js';
import { nodeIdOf } from '../roles/run.js';
import { discoveryOptionsOf } from '../roles/discovery.js';
import { registersOf } from '../roles/options.js';

const STATUS_TIMEOUT_MS = 5_000;

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => String(cell).padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

export function formatStatus(status: ClusterStatus): string {
  const gateways = [
    ['GATEWAY', 'ADDRESS', 'NODE', 'PID', 'CLIENTS', 'UIDS', 'GROUPS', 'WORKERS', 'PENDING'],
    ...status.gateways.map((g) => [g.gatewayId, g.address, g.nodeId, g.pid, g.stats.clients, g.stats.uids, g.stats.groups, g.stats.workers, g.stats.pending]),
  ];
  const workers = [
    ['WORKER', 'STATE', 'PID', 'IN-FLIGHT', 'HANDLED', 'GATEWAYS'],
    ...status.workers.map((w) => [w.workerId, w.state, w.pid, w.inflight, w.handled, w.gateways]),
  ];
  const r = status.register;
  return [
    `register ${r.nodeId} (pid ${r.pid}, up ${Math.round(r.uptimeMs / 1000)} s)`,
    '',
    status.gateways.length === 0 ? 'no gateways' : table(gateways),
    '',
    status.workers.length === 0 ? 'no workers' : table(workers),
    '',
  ].join('\n');
}

function gatewayRows(gateways: ClusterStatus['gateways']): (string | number)[][] {
  return [
    ['GATEWAY', 'ADDRESS', 'NODE', 'PID', 'CLIENTS', 'UIDS', 'GROUPS', 'WORKERS', 'PENDING'],
    ...gateways.map((g) => [g.gatewayId, g.address, g.nodeId, g.pid, g.stats.clients, g.stats.uids, g.stats.groups, g.stats.workers, g.stats.pending]),
  ];
}

/** The gateways as a discovery backend lists them (etcd / ZooKeeper keep no worker records). */
export function formatClusterView(view: ClusterView): string {
  return [
    `cluster ${view.cluster} on ${view.backend}`,
    '',
    view.gateways.length === 0 ? 'no gateways' : table(gatewayRows(view.gateways)),
    '',
    'workers: not listed by discovery backends (see each gateway\'s WORKERS column)',
    '',
  ].join('\n');
}

/** `gateworker status`: the topology as the registers (or the discovery backend) see it. */
export async function runStatus(loaded: LoadedConfig, json: boolean): Promise<void> {
  const { config } = loaded;
  const discovery = discoveryOptionsOf(config);
  if (discovery !== null) {
    const view = await readClusterView(discovery, STATUS_TIMEOUT_MS);
    process.stdout.write(json ? JSON.stringify(view, null, 2) + '\n' : formatClusterView(view));
    return;
  }
  const registers = registersOf(config, config.worker !== undefined ? 'worker' : 'gateway');
  if (registers.length === 0) throw new Error('the config names no register to ask');
  const client = new RegisterClient({ registers, secret: config.secret, role: 'client', nodeId: `${nodeIdOf(config)}/status` });
  client.start();
  try {
    await client.ready(STATUS_TIMEOUT_MS);
    const status = await client.status(STATUS_TIMEOUT_MS);
    process.stdout.write(json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
  } finally {
    await client.close();
  }
}
