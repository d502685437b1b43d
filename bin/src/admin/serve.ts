import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { formatAddress, parseAddress } from '@gateworker/protocol';
import type { AdminBackend } from './backend.js';
import { AdminServer } from './server.js';

/** Starts the admin endpoint the config asks for (none without an `admin` section) and logs where it listens. */
export async function serveAdmin(config: Config, backend: AdminBackend, logger: Logger): Promise<AdminServer | null> {
  if (config.admin === undefined) return null;
  const { host, port } = parseAddress(config.admin.listen);
  const server = new AdminServer({ host, port, token: config.admin.token ?? null, backend, logger });
  let bound: { host: string; port: number };
  try {
    bound = await server.start();
  } catch (err) {
    throw new Error(`admin.listen ${config.admin.listen}: ${(err as Error).message}`, { cause: err });
  }
  logger.info({ admin: `http://${formatAddress(bound.host, bound.port)}/` }, 'admin endpoint listening');
  return server;
}
