import { RelayedDirectory } from '@gateworker/discovery';
import { createLogger } from './logging.js';
import { relayedDiscovery } from './roles/discovery.js';
import { nodeIdOf, runGateway, runRegister, runWorker, type RoleHandle } from './roles/run.js';
import { ChildAdmin } from './admin/child-admin.js';
import { LocalProcess } from './admin/local.js';
import { installChildSignals } from './signals.js';
import { applyToRole } from './roles/live.js';
import { roleTitle, setTitle } from './title.js';
import { type ChildMessage, type ChildSpec, type SupervisorMessage } from './supervisor/ipc.js';

/**
 * Entry point of a process started by `gateworker start`: asks for its spec (role and config, over
 * IPC, never in the environment), runs the role, reports `ready` (or `failed`), and stops
 * gracefully on `stop` or when the supervisor goes away (IPC disconnect), so no orphan outlives it.
 * Signals: see installChildSignals.
 */

/** Time to wait for the spec after asking, in ms (the supervisor answers at once). */
const SPEC_TIMEOUT_MS = 30_000;

function send(message: ChildMessage): void {
  if (process.send !== undefined && process.connected) process.send(message);
}

function receiveSpec(): Promise<ChildSpec> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no spec from the supervisor within ${SPEC_TIMEOUT_MS} ms`)), SPEC_TIMEOUT_MS);
    const onMessage = (m: SupervisorMessage) => {
      if (m.type !== 'spec') return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(m.spec);
    };
    process.on('message', onMessage);
    send({ type: 'hello' });
  });
}

async function main(): Promise<void> {
  // Started by the supervisor = an IPC channel to it; the spec comes over that channel.
  if (process.send === undefined) {
    process.stderr.write('gateworker: this entry point is started by `gateworker start`\n');
    process.exit(2);
  }
  let spec: ChildSpec;
  try {
    spec = await receiveSpec();
  } catch (err) {
    process.stderr.write(`gateworker: ${(err as Error).message}\n`);
    process.exit(1);
  }
  // SIGUSR2 (log file reopen) must never end a child, even before its logger listens for it.
  process.on('SIGUSR2', () => {});
  setTitle(roleTitle(spec.role, spec.index, spec.config));
  const logger = createLogger(spec.role, nodeIdOf(spec.config), spec.config.logLevel, { index: spec.index }, { file: spec.logFile });
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
  installChildSignals(logger, {
    supervised: () => process.connected,
    forward: (signal) => send({ type: 'signal', signal }),
    onStop: (signal) => void stop(signal),
  });
  /** A live config change received before the role was up. */
  let early: { config: ChildSpec['config']; changed: string[] } | null = null;
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
    else if (m.type === 'config') {
      if (handle !== null) applyToRole(handle.parts, logger, m.config, m.changed);
      else early = { config: m.config, changed: [...(early?.changed ?? []), ...m.changed] };
    } else if (m.type === 'discovery-view') relayed?.apply(m.gateways);
    else if (m.type === 'request') {
      admin.answer(m).then(
        (result) => send({ type: 'reply', id: m.id, result }),
        (err: unknown) => send({ type: 'reply', id: m.id, result: { error: err instanceof Error ? err.message : String(err) } }),
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
    // The message already carries the cause's text; pino's err serializer would append it again.
    logger.error({ code: e.code, stack: e.stack }, `failed to start: ${e.message}`);
    send({ type: 'failed', error: e.message, code: typeof e.code === 'string' ? e.code : null });
    process.exit(1);
  }
  local.attach(handle);
  setTitle(roleTitle(spec.role, spec.index, spec.config, handle.bound));
  // A change that arrived while the role was starting applies now.
  const pending = early as { config: ChildSpec['config']; changed: string[] } | null; // set by the message handler meanwhile
  if (pending !== null) applyToRole(handle.parts, logger, pending.config, pending.changed);
  // The role's own start line says the same at info; the supervisor prints every summary.
  logger.debug({ generation: spec.generation }, handle.summary);
  send({ type: 'ready', summary: handle.summary, bound: handle.bound });
}

void main();
