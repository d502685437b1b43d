import { readClusterView, type ClusterView } from '@gateworker/discovery';
import type { ClusterStatus } from '@gateworker/protocol';
import { RegisterClient } from '@gateworker/register';
import type { TreeSnapshot } from '../admin/snapshot.js';
import type { LoadedConfig } from '../config/load.js';
import { nodeIdOf } from '../roles/run.js';
import { discoveryOptionsOf } from '../roles/discovery.js';
import { registersOf } from '../roles/options.js';
import { runDirFor, sendControl } from '../supervisor/control.js';
import { ControlErrorCode } from '../supervisor/errors.js';
import { formatClusterView, formatRegisterStatus, formatTree, sharedAddresses, totalsOf } from './status-format.js';

/**
 * `status` gives up finding a cluster this long after the process started, in ms (node's own
 * start-up included), so "no cluster running" comes within a second.
 */
export const STATUS_FIND_DEADLINE_MS = 950;
/** …but the register always gets at least this long to answer, in ms (a slow start on a loaded machine). */
export const STATUS_REGISTER_MIN_WAIT_MS = 200;
/** A supervisor that runs answers status within this, in ms (its children have 800 ms). */
export const STATUS_CONTROL_TIMEOUT_MS = 2_000;
/** `--watch` refresh period, in ms. */
export const STATUS_WATCH_INTERVAL_MS = 1_000;

type Found =
  { source: 'supervisor'; tree: TreeSnapshot } | { source: 'register'; status: ClusterStatus } | { source: 'discovery'; view: ClusterView };

export class NoClusterError extends Error {
  readonly code = ControlErrorCode.NoCluster;
}

/** Through `start`'s control channel when one runs for this config, else the register the config names. */
async function find(loaded: LoadedConfig): Promise<Found> {
  // With discovery the backend holds the whole cluster (every machine's gateways): read it, within
  // the package's own bound (DEFAULT_READ_TIMEOUT_MS).
  const discovery = discoveryOptionsOf(loaded.config);
  if (discovery !== null) return { source: 'discovery', view: await readClusterView(discovery) };
  const runDir = runDirFor(loaded.file);
  try {
    const reply = await sendControl(runDir, { cmd: 'status' }, STATUS_CONTROL_TIMEOUT_MS);
    if (reply.ok) return { source: 'supervisor', tree: reply.data as TreeSnapshot };
  } catch {
    // No supervisor here (no socket: the answer is immediate): ask the register below.
  }
  // performance.now() counts from the process start.
  const status = await askRegister(loaded, Math.max(STATUS_REGISTER_MIN_WAIT_MS, STATUS_FIND_DEADLINE_MS - performance.now()));
  if (status !== null) return { source: 'register', status };
  throw new NoClusterError(`no cluster running for ${loaded.file ?? 'the built-in default config'}`);
}

async function askRegister(loaded: LoadedConfig, timeoutMs: number): Promise<ClusterStatus | null> {
  const { config } = loaded;
  const registers = registersOf(config, config.worker !== undefined ? 'worker' : 'gateway');
  if (registers.length === 0) return null;
  const client = new RegisterClient({
    registers,
    secret: config.secret,
    role: 'client',
    nodeId: `${nodeIdOf(config)}/status`,
    cluster: config.cluster,
  });
  const started = performance.now();
  client.start();
  try {
    await client.ready(timeoutMs);
    return await client.status(Math.max(100, timeoutMs - (performance.now() - started)));
  } catch {
    return null;
  } finally {
    await client.close();
  }
}

function render(found: Found, json: boolean): string {
  if (found.source === 'discovery')
    return json ? JSON.stringify({ source: found.source, ...found.view }, null, 2) + '\n' : formatClusterView(found.view);
  if (json) {
    const body =
      found.source === 'supervisor'
        ? treeJson(found.tree)
        : { source: found.source, ...found.status, sharedAddresses: sharedAddresses(found.status.gateways) };
    return JSON.stringify(body, null, 2) + '\n';
  }
  return found.source === 'supervisor' ? formatTree(found.tree) : formatRegisterStatus(found.status);
}

/**
 * `--json` under `start`: the whole tree (every process's snapshot), the totals, and the
 * gateways and workers on their own (with pid and index) for scripts.
 */
function treeJson(tree: TreeSnapshot): unknown {
  return {
    source: 'supervisor',
    ...tree,
    totals: totalsOf(tree),
    gateways: tree.processes.flatMap((p) => (p.gateway === undefined ? [] : [{ index: p.index, pid: p.process.pid, ...p.gateway }])),
    workers: tree.processes.flatMap((p) => (p.worker === undefined ? [] : [{ index: p.index, pid: p.process.pid, ...p.worker }])),
  };
}

/** `gateworker status [--json] [--watch]`. */
export async function runStatus(loaded: LoadedConfig, options: { json: boolean; watch: boolean }): Promise<void> {
  if (!options.watch) {
    process.stdout.write(render(await find(loaded), options.json));
    return;
  }
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stdout.isTTY;
  try {
    while (!stop) {
      const started = performance.now();
      let text: string;
      try {
        text = render(await find(loaded), options.json);
      } catch (err) {
        text = `gateworker: ${(err as Error).message}\n`;
      }
      // On a terminal, repaint in place (cursor home, clear below); piped, one block per refresh.
      process.stdout.write(tty && !options.json ? `\x1b[H\x1b[2J${text}` : text);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, STATUS_WATCH_INTERVAL_MS - (performance.now() - started))));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
