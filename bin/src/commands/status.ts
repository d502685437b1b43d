import type { ClusterStatus, GatewayStats } from '@gateworker/protocol';
import { RegisterClient } from '@gateworker/register';
import type { LoadedConfig } from '../config/load.js';
import { nodeIdOf } from '../roles/run.js';
import { registersOf } from '../roles/options.js';

const STATUS_TIMEOUT_MS = 5_000;

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => String(cell).padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** The bus column: each bridge's state, messages received and rejected, e.g. `redis:ready 12/1`. */
function busCell(bus: GatewayStats['bus']): string {
  if (bus === undefined || bus.length === 0) return '-';
  return bus.map((b) => `${b.bridge}:${b.state} ${b.received}/${Object.values(b.rejected).reduce((a, n) => a + n, 0)}`).join(' ');
}

export function formatStatus(status: ClusterStatus): string {
  const gateways = [
    ['GATEWAY', 'ADDRESS', 'NODE', 'PID', 'CLIENTS', 'UIDS', 'GROUPS', 'WORKERS', 'PENDING', 'BUS (received/rejected)'],
    ...status.gateways.map((g) => [
      g.gatewayId, g.address, g.nodeId, g.pid, g.stats.clients, g.stats.uids, g.stats.groups, g.stats.workers, g.stats.pending, busCell(g.stats.bus),
    ]),
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

/** `gateworker status`: the topology as the registers see it. */
export async function runStatus(loaded: LoadedConfig, json: boolean): Promise<void> {
  const { config } = loaded;
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
