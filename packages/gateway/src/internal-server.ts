import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { acceptLink, type AcceptedLink, type AcceptOptions } from '@gateworker/protocol/node';

/**
 * The internal port: accepts worker and GatewayClient links, each authenticated by the protocol
 * handshake (acceptLink) before the gateway sees it. Sockets still in the handshake are tracked
 * so destroy() can drop them.
 */
export class InternalServer {
  private readonly server: Server;
  private readonly handshaking = new Set<Socket>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly acceptOptions: AcceptOptions,
    private readonly onLink: (accepted: AcceptedLink) => void,
    private readonly onRefused: (err: unknown, remoteAddress: string) => void,
    private readonly onServerError: (err: Error) => void,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', onError);
        this.server.on('error', this.onServerError);
        resolve();
      });
    });
  }

  address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo | null;
    return { host: a?.address ?? this.host, port: a?.port ?? this.port };
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
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.handshaking.add(socket);
    acceptLink(socket, this.acceptOptions).then(
      (accepted) => {
        this.handshaking.delete(socket);
        this.onLink(accepted);
      },
      (err: unknown) => {
        this.handshaking.delete(socket);
        this.onRefused(err, remote);
      },
    );
  }
}
