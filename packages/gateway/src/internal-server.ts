import { createServer, type Server, type Socket } from 'node:net';
import {
  acceptLink,
  boundAddress,
  listen,
  PreAuthLimiter,
  type AcceptedLink,
  type AcceptOptions,
  type PreAuthLimits,
} from '@gateworker/protocol/node';

/**
 * The internal port: accepts worker and GatewayClient links, each authenticated by the protocol
 * handshake (acceptLink) before the gateway sees it. Sockets still in the handshake are tracked
 * so destroy() can drop them, and limited in number (in total and per remote address): past the
 * limit a connection is destroyed at accept, before anything is read from it.
 */
export class InternalServer {
  private readonly server: Server;
  private readonly handshaking = new Set<Socket>();
  private readonly preAuth: PreAuthLimiter;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly acceptOptions: AcceptOptions,
    preAuthLimits: PreAuthLimits,
    private readonly onLink: (accepted: AcceptedLink) => void,
    private readonly onRefused: (err: unknown, remoteAddress: string) => void,
    /** A connection was dropped at accept because too many are still in the handshake. */
    private readonly onPreAuthLimit: (remoteAddress: string, handshaking: number) => void,
    private readonly onServerError: (err: Error) => void,
  ) {
    this.preAuth = new PreAuthLimiter(preAuthLimits);
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Connections still in the handshake. */
  get handshakingCount(): number {
    return this.handshaking.size;
  }

  async listen(): Promise<void> {
    await listen(this.server, this.host, this.port, this.onServerError);
  }

  address(): { host: string; port: number } {
    return boundAddress(this.server, this.host, this.port);
  }

  stopAccepting(): void {
    this.server.close();
  }

  destroy(): void {
    this.server.close();
    for (const s of this.handshaking) s.destroy();
    this.handshaking.clear();
  }

  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '?';
    const remote = `${address}:${socket.remotePort ?? '?'}`;
    if (!this.preAuth.admit(address)) {
      socket.destroy();
      this.onPreAuthLimit(remote, this.preAuth.count);
      return;
    }
    this.handshaking.add(socket);
    acceptLink(socket, this.acceptOptions).then(
      (accepted) => {
        this.handshaking.delete(socket);
        this.preAuth.release(address);
        this.onLink(accepted);
      },
      (err: unknown) => {
        this.handshaking.delete(socket);
        this.preAuth.release(address);
        this.onRefused(err, remote);
      },
    );
  }
}
