import type { ClusterView } from '@gateworker/discovery';
import type { ClusterStatus, GatewayInfo } from '@gateworker/protocol';
import type { ProcessSnapshot, TreeSnapshot } from '../admin/snapshot.js';

/** How `gateworker status` prints what it found. */

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => String(cell ?? '').padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor(s / 3600) % 24).padStart(2, '0')}h`;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function sumWhere(counters: Record<string, number>, test: (key: string) => boolean): number {
  let n = 0;
  for (const [k, v] of Object.entries(counters)) if (test(k)) n += v;
  return n;
}

/** The per-gateway counters status shows; "dropped" sums every counter named …Dropped…/…Drops (later work may add some). */
export interface GatewayCounterView {
  clients: number;
  uids: number;
  groups: number;
  listeners: number;
  pending: number;
  dropped: number;
  slowClientCloses: number;
  refused: number;
  redelivered: number;
  heartbeatTimeouts: number;
  poison: number;
}

export function gatewayView(p: ProcessSnapshot): GatewayCounterView | null {
  const g = p.gateway;
  if (g === undefined) return null;
  const c = g.counters;
  return {
    clients: g.stats.clients,
    uids: g.stats.uids,
    groups: g.stats.groups,
    listeners: g.listeners.length,
    pending: g.stats.pending,
    dropped: sumWhere(c, (k) => /Dropped|Drops/.test(k)),
    slowClientCloses: c['slowClientCloses'] ?? 0,
    refused: c['clientsRejected'] ?? 0,
    redelivered: c['redeliveredEvents'] ?? 0,
    heartbeatTimeouts: c['heartbeatTimeouts'] ?? 0,
    poison: c['poisonEvents'] ?? 0,
  };
}

export interface Totals {
  processes: number;
  rssBytes: number;
  cpuPercent: number;
  restarts: number;
  gateways: GatewayCounterView;
  workers: { inflight: number; handled: number };
}

export function totalsOf(tree: TreeSnapshot): Totals {
  const zero: GatewayCounterView = {
    clients: 0,
    uids: 0,
    groups: 0,
    listeners: 0,
    pending: 0,
    dropped: 0,
    slowClientCloses: 0,
    refused: 0,
    redelivered: 0,
    heartbeatTimeouts: 0,
    poison: 0,
  };
  const totals: Totals = {
    processes: tree.processes.length,
    rssBytes: 0,
    cpuPercent: 0,
    restarts: 0,
    gateways: zero,
    workers: { inflight: 0, handled: 0 },
  };
  for (const p of tree.processes) {
    totals.rssBytes += p.process.rssBytes;
    totals.cpuPercent = Math.round((totals.cpuPercent + p.process.cpuPercent) * 10) / 10;
    totals.restarts += p.process.restarts;
    const g = gatewayView(p);
    if (g !== null) for (const k of Object.keys(zero) as (keyof GatewayCounterView)[]) totals.gateways[k] += g[k];
    if (p.worker !== undefined) {
      totals.workers.inflight += p.worker.inflight;
      totals.workers.handled += p.worker.handled;
    }
  }
  return totals;
}

function detail(p: ProcessSnapshot): string {
  if (p.gateway !== undefined) return `${p.gateway.gatewayId} ${p.gateway.listeners.map((l) => l.url).join(' ')}`;
  if (p.worker !== undefined)
    return `${p.worker.state}, ${p.worker.inflight} in flight, ${p.worker.handled} handled, ${p.worker.gateways.filter((g) => g.state === 'ready').length}/${p.worker.gatewaysListed} gateways`;
  if (p.register !== undefined) return `${p.register.gateways} gateways, ${p.register.workers} workers`;
  if (p.supervisor !== undefined) return `reloads ${p.supervisor.reloadsOk} ok, ${p.supervisor.reloadsFailed} failed`;
  return '';
}

const rejectedTotal = (rejected: Record<string, number>): number => Object.values(rejected).reduce((a, n) => a + n, 0);

/** One row per bus bridge of each gateway (docs/bus.md), or none when no gateway runs a bus. */
function busTable(tree: TreeSnapshot): string | null {
  const rows = tree.processes.flatMap((p) =>
    (p.gateway?.stats.bus ?? []).map((b) => [
      `gateway ${p.index}`,
      b.bridge,
      b.state,
      b.connects,
      b.received,
      b.applied,
      b.deliveries,
      rejectedTotal(b.rejected),
    ]),
  );
  if (rows.length === 0) return null;
  return table([['BUS', 'BRIDGE', 'STATE', 'CONNECTS', 'RECEIVED', 'APPLIED', 'DELIVERIES', 'REJECTED'], ...rows]);
}

/** The tree as `gateworker start` reports it: processes, gateways, totals, readiness. */
export function formatTree(tree: TreeSnapshot): string {
  const totals = totalsOf(tree);
  const processes = [
    ['PROCESS', 'PID', 'UPTIME', 'RSS', 'CPU%', 'RESTARTS', 'READY', 'DETAIL'],
    ...tree.processes.map((p) => [
      p.role === 'supervisor' ? 'supervisor' : `${p.role} ${p.index}`,
      p.process.pid,
      duration(p.process.uptimeMs),
      mib(p.process.rssBytes),
      p.process.cpuPercent.toFixed(1),
      p.role === 'supervisor' ? '-' : p.process.restarts,
      p.readiness.ready ? 'yes' : 'no',
      detail(p),
    ]),
    ...tree.silent.map((s) => [`${s.role} ${s.index}`, '-', '-', '-', '-', '-', 'no', s.why]),
    ['TOTAL', `${totals.processes} processes`, '', mib(totals.rssBytes), totals.cpuPercent.toFixed(1), totals.restarts, '', ''],
  ];
  const gatewayRows = tree.processes.flatMap((p) => {
    const g = gatewayView(p);
    return g === null
      ? []
      : [
          [
            `gateway ${p.index}`,
            g.clients,
            g.uids,
            g.groups,
            g.listeners,
            g.pending,
            g.dropped,
            g.slowClientCloses,
            g.refused,
            g.redelivered,
            g.heartbeatTimeouts,
            g.poison,
          ],
        ];
  });
  const t = totals.gateways;
  const gateways = [
    ['GATEWAY', 'CLIENTS', 'UIDS', 'GROUPS', 'LISTENERS', 'PENDING', 'DROPPED', 'SLOW-CLOSES', 'REFUSED', 'REDELIVERED', 'HB-TIMEOUTS', 'POISON'],
    ...gatewayRows,
    [
      'TOTAL',
      t.clients,
      t.uids,
      t.groups,
      t.listeners,
      t.pending,
      t.dropped,
      t.slowClientCloses,
      t.refused,
      t.redelivered,
      t.heartbeatTimeouts,
      t.poison,
    ],
  ];
  const ready = tree.readiness.ready ? 'ready' : `NOT READY: ${tree.readiness.missing.join('; ')}`;
  const bus = busTable(tree);
  const links = linksTable(tree);
  const config = configLine(tree);
  return [
    `cluster ${tree.config ?? '(built-in default)'} — ${ready} — at ${new Date(tree.at).toISOString()}`,
    '',
    table(processes),
    '',
    gatewayRows.length === 0 ? 'no gateways' : table(gateways),
    '',
    ...(bus === null ? [] : [bus, '']),
    ...(links === null ? [] : [links, '']),
    ...(config === null ? [] : [config, '']),
  ].join('\n');
}

/** The live configuration's state: centre, revision, changes applied and refused, the last refusal. */
function configLine(tree: TreeSnapshot): string | null {
  const c = tree.processes.find((p) => p.configCentre !== undefined)?.configCentre;
  if (c === undefined) return null;
  const where =
    c.centre === null ? 'no config centre' : `config centre ${c.centre} (${c.centreState}${c.revision === null ? '' : `, revision ${c.revision}`})`;
  const lines = [`${where}; file watched: ${c.watchingFile ? 'yes' : 'no'}; live changes applied ${c.applied}, refused ${c.refused}`];
  if (c.lastRefusal !== null) lines.push(`last refusal ${c.lastRefusal.at}: ${c.lastRefusal.message}`);
  return lines.join('\n');
}

/** One row per worker link of each gateway: the events the gateway holds for it, unacknowledged (per-event acks: the real number). */
function linksTable(tree: TreeSnapshot): string | null {
  const rows = tree.processes.flatMap((p) =>
    (p.gateway?.links ?? [])
      .filter((l) => l.role === 'worker')
      .map((l) => [`gateway ${p.index}`, l.id, l.workerId ?? '-', l.state, l.unacked, mib(l.unackedBytes ?? 0)]),
  );
  if (rows.length === 0) return null;
  return table([['LINK', 'ID', 'WORKER', 'STATE', 'UNACKED', 'UNACKED-BYTES'], ...rows]);
}

/** The topology as a register sees it (no supervisor on this machine: a multi-machine deployment). */
/**
 * Addresses announced by more than one gateway. Workers reach only one process at an address (and
 * refuse it for the others' ids): a misconfiguration, typically a wildcard bind with a copied
 * `advertise`, or two hosts announcing a loopback address.
 */
export function sharedAddresses(gateways: ClusterStatus['gateways']): { address: string; gateways: string[] }[] {
  const by = new Map<string, string[]>();
  for (const g of gateways) {
    const list = by.get(g.address);
    if (list === undefined) by.set(g.address, [g.gatewayId]);
    else list.push(g.gatewayId);
  }
  return [...by].filter(([, ids]) => ids.length > 1).map(([address, ids]) => ({ address, gateways: ids }));
}

/** The gateways as a directory announces them (register or discovery backend), one row each. */
function gatewayTable(list: readonly GatewayInfo[], withBus: boolean): (string | number)[][] {
  const head = ['GATEWAY', 'ADDRESS', 'NODE', 'PID', 'CLIENTS', 'UIDS', 'GROUPS', 'WORKERS', 'PENDING'];
  return [
    withBus ? [...head, 'BUS (received/rejected)'] : head,
    ...list.map((g) => {
      const row: (string | number)[] = [
        g.gatewayId,
        g.address,
        g.nodeId,
        g.pid,
        g.stats.clients,
        g.stats.uids,
        g.stats.groups,
        g.stats.workers,
        g.stats.pending,
      ];
      if (withBus) row.push((g.stats.bus ?? []).map((b) => `${b.bridge}:${b.state} ${b.received}/${rejectedTotal(b.rejected)}`).join(' ') || '-');
      return row;
    }),
  ];
}

export function formatRegisterStatus(status: ClusterStatus): string {
  const gateways = gatewayTable(status.gateways, true);
  const workers = [
    ['WORKER', 'STATE', 'PID', 'IN-FLIGHT', 'HANDLED', 'GATEWAYS'],
    ...status.workers.map((w) => [w.workerId, w.state, w.pid, w.inflight, w.handled, w.gateways]),
  ];
  const r = status.register;
  return [
    `register ${r.nodeId} (pid ${r.pid}, up ${duration(r.uptimeMs)}) — no \`gateworker start\` on this machine for this config: the register's view`,
    '',
    status.gateways.length === 0 ? 'no gateways' : table(gateways),
    ...sharedAddresses(status.gateways).map(
      (s) =>
        `WARNING: gateways ${s.gateways.join(', ')} all announce ${s.address}: workers reach only one of them (set gateway.advertise to each host's own address)`,
    ),
    '',
    status.workers.length === 0 ? 'no workers' : table(workers),
    '',
  ].join('\n');
}

/** The gateways as a discovery backend (etcd / ZooKeeper) lists them, every machine's; it keeps no worker records. */
export function formatClusterView(view: ClusterView): string {
  const gateways = gatewayTable(view.gateways, false);
  return [
    `cluster ${view.cluster} on ${view.backend} (stats as last published)`,
    '',
    view.gateways.length === 0 ? 'no gateways' : table(gateways),
    '',
    "workers: not listed by discovery backends (each gateway's WORKERS column counts its links)",
    '',
  ].join('\n');
}
