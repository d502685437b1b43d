import type { Server } from 'node:net';

/** Where a server is bound. */
export interface BoundAddress {
  host: string;
  port: number;
}

/**
 * Binds `server` (node:net, node:tls, node:http or node:https: all are net servers) to
 * host:port — port 0 picks any free port — and resolves with the bound address, so callers and
 * tests read the port instead of reserving one. Rejects with the bind error (EADDRINUSE,
 * EACCES…). Once bound, later server errors go to `onError` instead of ending the process.
 */
export function listen(server: Server, host: string, port: number, onError: (err: Error) => void): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', onError);
      resolve(boundAddress(server, host, port));
    });
  });
}

/** The address `server` is bound to; the configured one while it is not (before listen, after close). */
export function boundAddress(server: Server, host: string, port: number): BoundAddress {
  const a = server.address();
  return typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : { host, port };
}
