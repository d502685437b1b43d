import type { LoadedConfig } from '../config/load.js';
import { runDirFor, sendControl } from '../supervisor/control.js';

/** Long enough for a reload of many workers that each drain for a while, in ms. */
const RELOAD_WAIT_MS = 10 * 60_000;
const STOP_WAIT_MS = 5 * 60_000;

export async function runReload(loaded: LoadedConfig): Promise<void> {
  const reply = await sendControl(runDirFor(loaded.file), { cmd: 'reload' }, RELOAD_WAIT_MS);
  (reply.ok ? process.stdout : process.stderr).write(`gateworker: ${reply.message}\n`);
  const notApplied = (reply.data as { notApplied?: unknown } | undefined)?.notApplied;
  if (Array.isArray(notApplied) && notApplied.length > 0) {
    // Still a successful reload (exit 0): what could be applied was; the rest needs a restart.
    process.stderr.write(`gateworker: warning: not applied by reload (restart the cluster to apply): ${notApplied.join(', ')}\n`);
  }
  if (!reply.ok) process.exitCode = 1;
}

export async function runStop(loaded: LoadedConfig): Promise<void> {
  const reply = await sendControl(runDirFor(loaded.file), { cmd: 'stop' }, STOP_WAIT_MS);
  (reply.ok ? process.stdout : process.stderr).write(`gateworker: ${reply.message}\n`);
  if (!reply.ok) process.exitCode = 1;
}
