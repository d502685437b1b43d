/** node-zookeeper-client's connection internals (not typed): see guardZooKeeperReplies. */
interface ConnectionInternals {
  onSocketData(buffer: Buffer): void;
  pendingBuffer: Buffer | null;
  socket?: { destroy(): void };
}

/**
 * node-zookeeper-client parses replies inside the socket's 'data' handler and throws on one it
 * cannot read (seen: "Unknown code: 4784129" from a server that was restarting), which would end
 * the whole process as an uncaught exception. Here a reply it cannot parse drops that connection
 * instead: the client reconnects (and its owner re-reads), as after any connection loss. Every
 * user of the client (config centre, discovery) calls it right after createClient(): connect()
 * binds the handler. Typed `object` so the published declarations do not need the client's types
 * (an app that installs gateworker has no @types/node-zookeeper-client).
 */
export function guardZooKeeperReplies(client: object): void {
  const manager = (client as unknown as { connectionManager?: ConnectionInternals }).connectionManager;
  if (manager === undefined || typeof manager.onSocketData !== 'function') return;
  const parse = manager.onSocketData;
  manager.onSocketData = function guarded(this: ConnectionInternals, buffer: Buffer): void {
    try {
      parse.call(this, buffer);
    } catch {
      this.pendingBuffer = null;
      this.socket?.destroy();
    }
  };
}
