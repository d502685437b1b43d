import type { LoadedConfig } from '../config/load.js';
import { createLogger } from '../logging.js';
import { standaloneDiscovery } from '../roles/discovery.js';
import { nodeIdOf, runGateway, runRegister, runWorker, type RoleHandle } from '../roles/run.js';
import { installSignals } from '../signals.js';
import { LocalBackend } from '../admin/local-backend.js';
import { LocalProcess } from '../admin/local.js';
import { serveAdmin } from '../admin/serve.js';
import { roleTitle, setTitle } from '../title.js';

/** `gateworker register|gateway|worker`: one role in this process, for multi-machine deployments. */
export async function runRole(role: 'register' | 'gateway' | 'worker', loaded: LoadedConfig, index: number): Promise<void> {
  const { config } = loaded;
  setTitle(roleTitle(role, index, config));
  const logger = createLogger(role, nodeIdOf(config), config.logLevel, { index });
  let handle: RoleHandle | null = null;
  let stopping = false;
  // Every timer and socket of the roles is unref'd or may close (all peers gone): without this the
  // process would end with code 0 when the last link dropped. Only a requested stop exits 0.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const local = new LocalProcess(role, index);
  const admin = await serveAdmin(config, new LocalBackend(local, loaded.file), logger);
  installSignals(logger, (signal) => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    logger.info({ signal }, 'stopping');
    admin?.drain();
    void (handle?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: Error) => {
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
    admin?.drain();
    const code = (err as { code?: unknown }).code;
    logger.fatal({ err, ...(typeof code === 'string' && { code }) }, `cannot run the ${role}: ${(err as Error).message}`);
    throw err;
  }
  local.attach(handle);
  logger.debug(handle.summary);
}
