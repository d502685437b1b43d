import { resolve as resolvePath } from 'node:path';
import { loadConfig, type LoadedConfig, type LoadOptions } from '../config/load.js';
import { ConfigManager } from '../config/manager.js';
import { createLogger, setLogLevel } from '../logging.js';
import { nodeIdOf } from '../roles/run.js';
import { installSignals } from '../signals.js';
import { runDirFor, serveControl, type ControlServer } from '../supervisor/control.js';
import { ConfigError } from '../config/errors.js';
import { Supervisor, type ReloadResult } from '../supervisor/supervisor.js';
import { serveAdmin } from '../admin/serve.js';
import type { AdminServer } from '../admin/server.js';
import { SupervisorBackend } from '../admin/supervisor-backend.js';
import { setTitle, supervisorTitle } from '../title.js';

/** The supervisor's few lines (starting, cluster ready, restarts, reloads, stopping) stay visible at any level but `silent`: a quieter logLevel is for the roles' chatter. */
function supervisorLevel(level: string): string {
  return ['warn', 'error', 'fatal'].includes(level) ? 'info' : level;
}

/**
 * `gateworker start`: supervise every role of the config in the foreground. With `sources`, the
 * configuration is layered and live (ConfigManager): a config centre is read before anything
 * starts, and it and the file (when watched) are watched here, once for the whole tree; each
 * applied change goes to the children over IPC.
 */
export async function runStart(
  local: LoadedConfig,
  sources: LoadOptions | null = null,
  options: { logFile?: string | undefined } = {},
): Promise<void> {
  setTitle(supervisorTitle(local.file));
  const logFile = options.logFile === undefined ? undefined : resolvePath(options.logFile);
  const logger = createLogger('supervisor', nodeIdOf(local.config), supervisorLevel(local.config.logLevel), {}, { file: logFile });
  const manager = sources === null ? null : await ConfigManager.open(sources, local, logger);
  const loaded = manager?.loaded ?? local;
  // `reload` and SIGHUP re-read the config from the same sources (the centre's current document included).
  const reread = (): LoadedConfig => (manager !== null ? manager.reread() : sources !== null ? loadConfig(sources) : local);
  const { config } = loaded;
  if (config.logLevel !== local.config.logLevel) setLogLevel(logger, supervisorLevel(config.logLevel));
  const supervisor = new Supervisor(config, logger, { logFile });
  if (logFile !== undefined) {
    // logrotate's postrotate sends SIGUSR2 to this process: every child reopens the file too.
    process.on('SIGUSR2', () => {
      for (const c of supervisor.pids()) if (c.pid !== undefined) process.kill(c.pid, 'SIGUSR2');
    });
  }
  const runDir = runDirFor(loaded.file);
  let stopping: Promise<void> | null = null;
  let admin: AdminServer | null = null;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  // The control channel comes up before any child, so an unsafe or busy run directory costs nothing.
  let control: ControlServer | null = null;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ why }, 'stopping the cluster');
      void admin?.drain();
      await manager?.close();
      await supervisor.stop();
      control?.close();
      logger.info('stopped');
      stopped();
    })();
    return stopping;
  };
  // Reload = re-read the config and apply it; a config that no longer loads changes nothing.
  const reload = async (): Promise<ReloadResult> => {
    let next: LoadedConfig;
    try {
      next = reread();
    } catch (err) {
      const message = `reload failed: ${err instanceof ConfigError ? 'bad config: ' : ''}${(err as Error).message}; nothing changed`;
      logger.error({}, message);
      return { ok: false, message, durationMs: 0, notApplied: [] };
    }
    return supervisor.applyConfig(next.config);
  };
  const backend = new SupervisorBackend(supervisor, loaded.file, config.admin !== undefined);
  if (manager !== null) backend.configStatus = () => manager.status();
  control = await serveControl(runDir, {
    status: async () => ({ ok: true, message: 'status', data: await backend.tree() }),
    reload: async () => {
      const result = await reload();
      return { ok: result.ok, message: result.message, data: result };
    },
    stop: async () => {
      await stop('gateworker stop');
      return { ok: true, message: 'stopped' };
    },
    pids: () => Promise.resolve({ ok: true, message: 'running', data: { pid: process.pid, children: supervisor.pids() } }),
  });
  installSignals(
    logger,
    (signal) => void stop(signal).then(() => process.exit(0)),
    () => void reload(),
  );

  logger.info({ config: loaded.file ?? 'built-in default', runDir }, 'starting');
  try {
    admin = await serveAdmin(config, backend, logger);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'the admin endpoint failed to start');
    control.close();
    backend.close();
    process.exitCode = 1;
    return;
  }
  try {
    const summaries = await supervisor.start();
    logger.info({ children: supervisor.pids(), summaries }, 'cluster ready');
    if (manager !== null) {
      manager.on('change', (change) => {
        setLogLevel(logger, supervisorLevel(change.config.logLevel));
        void supervisor.liveChange(change.config, change.applied);
      });
      await manager.start();
    }
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'the cluster failed to start');
    control.close();
    await admin?.close();
    backend.close();
    process.exitCode = 1;
    return;
  }
  const ws = config.gateway?.listen.find((l) => l.url.startsWith('ws'));
  if (loaded.file === null && ws !== undefined) {
    process.stdout.write(
      `gateworker is running the built-in default: an echo handler behind ${ws.url}\n` +
        `  try it:   node -e "const ws=new (require('ws'))('${ws.url}');ws.on('open',()=>ws.send('hello'));ws.on('message',m=>{console.log(String(m));ws.close()})"\n` +
        `  status:   npx gateworker status\n  reload:   npx gateworker reload\n  stop:     Ctrl-C or npx gateworker stop\n`,
    );
  }
  // The supervisor stays up while its children do; stop() ends them, then this returns.
  await done;
  control.close();
  await admin?.close();
  backend.close();
}
