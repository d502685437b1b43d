import type { LoadedConfig, LoadOptions } from '../config/load.js';
import { coveredBy, LIVE_KEYS } from '../config/live.js';
import { ConfigManager } from '../config/manager.js';
import { applyToRole } from '../roles/live.js';
import { createLogger, setLogLevel } from '../logging.js';
import { standaloneDiscovery } from '../roles/discovery.js';
import { nodeIdOf, runGateway, runRegister, runWorker, type RoleHandle } from '../roles/run.js';
import { installSignals } from '../signals.js';
import { LocalBackend } from '../admin/local-backend.js';
import { LocalProcess } from '../admin/local.js';
import { serveAdmin } from '../admin/serve.js';
import { roleTitle, setTitle } from '../title.js';

/** `gateworker register|gateway|worker`: one role in this process, for multi-machine deployments. */
export async function runRole(
  role: 'register' | 'gateway' | 'worker',
  local: LoadedConfig,
  index: number,
  sources: LoadOptions | null = null,
): Promise<void> {
  setTitle(roleTitle(role, index, local.config));
  const logger = createLogger(role, nodeIdOf(local.config), local.config.logLevel, { index });
  // A standalone role holds its own watch of the config centre and file (under `start`, the supervisor does).
  const manager = sources === null ? null : await ConfigManager.open(sources, local, logger);
  const loaded = manager?.loaded ?? local;
  const { config } = loaded;
  if (config.logLevel !== local.config.logLevel) setLogLevel(logger, config.logLevel);
  let handle: RoleHandle | null = null;
  let stopping = false;
  // Every timer and socket of the roles is unref'd or may close (all peers gone): without this the
  // process would end with code 0 when the last link dropped. Only a requested stop exits 0.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const localProcess = new LocalProcess(role, index);
  const admin = await serveAdmin(config, new LocalBackend(localProcess, loaded.file), logger);
  installSignals(logger, (signal) => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    logger.info({ signal }, 'stopping');
    void admin?.drain();
    void manager?.close();
    void (handle?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  });
  try {
    if (role === 'register') handle = await runRegister(config, logger);
    else if (role === 'gateway') handle = await runGateway(config, index, logger, standaloneDiscovery(config, logger));
    else handle = await runWorker(config, index, logger, standaloneDiscovery(config, logger));
  } catch (err) {
    clearInterval(keepAlive);
    void admin?.drain();
    void manager?.close();
    const code = (err as { code?: unknown }).code;
    logger.fatal({ err, ...(typeof code === 'string' && { code }) }, `cannot run the ${role}: ${(err as Error).message}`);
    throw err;
  }
  localProcess.attach(handle);
  logger.debug(handle.summary);
  if (manager !== null) {
    const running = handle;
    manager.on('change', (change) => {
      applyToRole(running.parts, logger, change.config, change.applied);
      const rolled = change.applied.filter((k) => coveredBy(k, LIVE_KEYS.supervisor));
      if (rolled.length > 0)
        logger.warn({ keys: rolled }, `${rolled.join(', ')} apply under \`gateworker start\` only: restart this process to use them`);
    });
    await manager.start();
  }
}
