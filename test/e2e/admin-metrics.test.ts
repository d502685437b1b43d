import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminUrlOf, childPids, scrape, sum } from '../helpers/admin.js';
import { connectWs, type WsClient } from '../helpers/clients.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

/** Echoes every message; throws on "boom" (after echoing nothing), so handler errors are countable. */
const HANDLER = `
export default {
  onConnect(client) { client.session.seen = 0; },
  async onMessage(client, message) {
    if (message === 'boom') throw new Error('boom on purpose');
    if (message === 'count') return client.send(String(await client.gateway.getAllClientCount()));
    client.send(message);
  },
  onClose() {},
};
`;

let cluster: Cluster | null = null;
const clients: WsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await cluster?.stop();
  cluster = null;
});

describe('admin endpoint under `gateworker start`', () => {
  it('/metrics counts known traffic exactly, every series labelled with role and index', async () => {
    cluster = await startCluster({ gateways: 1, workers: 2, handler: HANDLER, sections: { admin: { listen: '127.0.0.1:0' } }, logLevel: 'warn' });
    const base = await adminUrlOf(cluster);
    const CLIENTS = 3;
    const MESSAGES = 40;
    const BOOMS = 2;
    let bytes = 0;
    for (let i = 0; i < CLIENTS; i++) clients.push(await connectWs(cluster.wsUrl));
    for (const [i, c] of clients.entries()) {
      for (let m = 0; m < MESSAGES; m++) {
        const text = `client ${i} message ${m}`;
        bytes += Buffer.byteLength(text);
        c.send(text);
      }
    }
    for (const c of clients) for (let m = 0; m < MESSAGES; m++) await c.next();
    // The throwing messages are sent last on one client; a final echo on that client proves they were handled.
    for (let b = 0; b < BOOMS; b++) clients[0]!.send('boom');
    clients[0]!.send('count');
    expect(await clients[0]!.next()).toBe(String(CLIENTS));
    clients[0]!.send('after');
    expect(await clients[0]!.next()).toBe('after');
    bytes += BOOMS * 4 + 5 + 5;
    const EXTRA = 2; // 'count' and 'after', each answered once

    const series = await scrape(base);
    const gw = { role: 'gateway', index: '0', listener: cluster.wsUrl };
    expect(sum(series, 'gateworker_connections_total', gw)).toBe(CLIENTS);
    expect(sum(series, 'gateworker_clients', gw)).toBe(CLIENTS);
    expect(sum(series, 'gateworker_client_messages_received_total', gw)).toBe(CLIENTS * MESSAGES + BOOMS + EXTRA);
    expect(sum(series, 'gateworker_client_messages_sent_total', { role: 'gateway' })).toBe(CLIENTS * MESSAGES + EXTRA);
    expect(sum(series, 'gateworker_client_bytes_received_total', { role: 'gateway' })).toBe(bytes);
    expect(sum(series, 'gateworker_connections_refused_total', gw)).toBe(0);
    // Over both workers: every event handled once.
    expect(sum(series, 'gateworker_handler_duration_seconds_count', { role: 'worker', callback: 'onConnect' })).toBe(CLIENTS);
    expect(sum(series, 'gateworker_handler_duration_seconds_count', { role: 'worker', callback: 'onMessage' })).toBe(
      CLIENTS * MESSAGES + BOOMS + EXTRA,
    );
    expect(sum(series, 'gateworker_handler_duration_seconds_bucket', { role: 'worker', callback: 'onMessage', le: '+Inf' })).toBe(
      CLIENTS * MESSAGES + BOOMS + EXTRA,
    );
    expect(sum(series, 'gateworker_handler_errors_total', { role: 'worker', callback: 'onMessage' })).toBe(BOOMS);
    expect(sum(series, 'gateworker_query_duration_seconds_count', { role: 'worker', kind: 'getAllClientCount' })).toBe(1);
    expect(sum(series, 'gateworker_events_handled_total', { role: 'worker' })).toBe(CLIENTS + CLIENTS * MESSAGES + BOOMS + EXTRA);
    expect(sum(series, 'gateworker_worker_links', { role: 'gateway', state: 'ready', peer: 'worker' })).toBe(2);
    expect(sum(series, 'gateworker_gateways', { role: 'register' })).toBe(1);
    expect(sum(series, 'gateworker_up')).toBe(5);
    expect(sum(series, 'process_resident_memory_bytes', { role: 'worker', index: '1' })).toBeGreaterThan(0);
    for (const s of series) {
      expect(s.labels['role'], s.name).toMatch(/^(supervisor|register|gateway|worker)$/);
      expect(s.labels['index'], s.name).toMatch(/^\d+$/);
    }
    // The Grafana dashboard in docs/ only queries series that exist.
    const dashboard = readFileSync(resolve(import.meta.dirname, '../../docs/grafana-dashboard.json'), 'utf8');
    const queried = new Set([...dashboard.matchAll(/\b((?:gateworker|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1] as string));
    const names = new Set(series.map((s) => s.name));
    expect([...queried].filter((n) => !names.has(n))).toEqual([]);

    for (const c of clients.splice(0)) await c.close();
    const after = await eventually(
      async () => {
        const s = await scrape(base);
        return sum(s, 'gateworker_handler_duration_seconds_count', { callback: 'onClose' }) === CLIENTS ? s : null;
      },
      10_000,
      'every onClose in the handler histogram',
      100,
    );
    expect(sum(after, 'gateworker_clients', gw)).toBe(0);
    expect(sum(after, 'gateworker_connections_total', gw)).toBe(CLIENTS);
  });

  it('/readyz turns 503 naming the workers while they are stopped, and 200 when they are back; /healthz answers', async () => {
    cluster = await startCluster({ gateways: 1, workers: 2, handler: HANDLER, sections: { admin: { listen: '127.0.0.1:0' } }, logLevel: 'warn' });
    const base = await adminUrlOf(cluster);
    expect((await fetch(new URL('healthz', base))).status).toBe(200);
    const ready = await fetch(new URL('readyz', base));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, missing: [] });

    const workers = childPids(cluster, 'worker');
    expect(workers).toHaveLength(2);
    try {
      for (const pid of workers) process.kill(pid, 'SIGSTOP');
      const stopped = await fetch(new URL('readyz', base));
      expect(stopped.status).toBe(503);
      const body = (await stopped.json()) as { ready: boolean; missing: string[] };
      expect(body.ready).toBe(false);
      expect(body.missing.join('\n')).toMatch(/worker 0: .*did not answer/);
      expect(body.missing.join('\n')).toMatch(/worker 1: .*did not answer/);
      const metrics = await scrape(base);
      expect(sum(metrics, 'gateworker_up', { role: 'worker' })).toBe(0);
      expect(sum(metrics, 'gateworker_ready', { role: 'supervisor' })).toBe(0);
    } finally {
      for (const pid of workers) process.kill(pid, 'SIGCONT');
    }
    const back = await eventually(
      async () => {
        const res = await fetch(new URL('readyz', base));
        return res.status === 200 ? res : null;
      },
      10_000,
      'readyz 200 again',
      100,
    );
    expect(await back.json()).toMatchObject({ ready: true });
  });
});
