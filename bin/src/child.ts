import { RelayedDirectory } from '@gateworker/discovery';
import { createLogger } from './logging.js';
import { relayedDiscovery } from './roles/discovery.js';
import { nodeIdOf, runGateway, runRegister, runWorker, type RoleHandle } from './roles/run.js';
import { ChildAdmin } from './admin/child-admin.js';
import { LocalProcess } from './admin/local.js';
import { installSignals } from './signals.js';
import { roleTitle, setTitle } from './title.js';
import { CHILD_ENV, type ChildMessage, type ChildSpec, type SupervisorMessage } from './supervisor/ipc.js';

/**
 * Entry point of a process started by `gateworker start`: runs one role, reports `ready` (or
 * `failed`) over IPC, and stops gracefully on `stop`, SIGTERM or SIGINT, or when the supervisor
 * goes away (IPC disconnect), so no orphan outlives it.
 */

function send(message: ChildMessage): void {
  if (process.send !== undefined && process.connected) process.send(message);
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env[CHILD_ENV] ?? 'null') as ChildSpec | null;
  if (spec === null) {
    process.stderr.write('gateworker: this entry point is started by `gateworker start`\n');
    process.exit(2);
  }
  delete process.env[CHILD_ENV];
  setTitle(roleTitle(spec.role, spec.index, spec.config));
  const logger = createLogger(spec.role, nodeIdOf(spec.config), spec.config.logLevel, { index: spec.index });
  let handle: RoleHandle | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      logger.debug({ why }, 'stopping');
      try {
        await handle?.close();
        process.exitCode = 0;
      } catch (err) {
        logger.error({ err }, 'error while stopping');
        process.exitCode = 1;
      }
      // Give stdout a moment to drain, then leave even if a handle lingers.
      setTimeout(() => process.exit(), 50).unref();
    })();
    return stopping;
  };
  // Ctrl-C reaches the whole process group: a supervised child leaves the order of shutdown to
  // the supervisor (gateways first, then workers drain, then the register) and ignores SIGINT.
  installSignals(logger, (signal) => void stop(signal), undefined, { ignoreSigint: true });
  // With `discovery:` the supervisor holds the machine's one etcd / ZooKeeper session: records
  // go to it, the gateway list comes from it.
  const relayed = spec.config.discovery === undefined ? null : new RelayedDirectory(logger);
  const discovery =
    relayed === null
      ? null
      : relayedDiscovery(
          {
            publish: (info) => send({ type: 'discovery-publish', info }),
            unpublish: (gatewayId) => send({ type: 'discovery-unpublish', gatewayId }),
          },
          relayed,
        );
  const local = new LocalProcess(spec.role, spec.index);
  const admin = new ChildAdmin(local, spec.config.admin !== undefined);
  process.on('message', (m: SupervisorMessage) => {
    if (m.type === 'stop') void stop('supervisor asked');
    else if (m.type === 'discovery-view') relayed?.apply(m.gateways);
    else if (m.type === 'request') {
      admin.answer(m).then(
        (result) => send({ type: 'reply', id: m.id, result }),
        (err: Error) => send({ type: 'reply', id: m.id, result: { error: err.message } }),
      );
    }
  });
  if (relayed !== null) send({ type: 'discovery-subscribe' });
  process.on('disconnect', () => void stop('supervisor gone'));

  try {
    if (spec.role === 'register') handle = await runRegister(spec.config, logger);
    else if (spec.role === 'gateway') handle = await runGateway(spec.config, spec.index, logger, discovery);
    else handle = await runWorker(spec.config, spec.index, logger, discovery);
  } catch (err) {
    const e = err as Error & { code?: string };
    logger.error({ err }, `failed to start: ${e.message}`);
    send({ type: 'failed', error: e.message, code: typeof e.code === 'string' ? e.code : null });
    process.exit(1);
  }
  local.attach(handle);
  // The role's own start line says the same at info; the supervisor prints every summary.
  logger.debug({ generation: spec.generation }, handle.summary);
  send({ type: 'ready', summary: handle.summary });
}

void main();
