import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 to simulate link faults on one machine:
 * - 'pass': forwards both ways;
 * - 'reset': existing connections are destroyed (both ends see a reset) and new ones are refused;
 * - 'blackhole': connections stay open but every byte is dropped both ways (a partition: only
 *   heartbeats can tell), and new connections are accepted and blackholed too.
 */
export type ProxyMode = 'pass' | 'reset' | 'blackhole';

export class TcpProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private mode: ProxyMode = 'pass';
  /** Bytes dropped while blackholed (for the test's report). */
  droppedBytes = 0;
  connections = 0;
  /** Proxied connections that ended (closed by either side or reset here). */
  closedConnections = 0;
  private closeWaiters = new Set<() => void>();

  private constructor(private target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** New connections go to another target (existing ones are untouched: reset them to move them). */
  retarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'reset') {
      for (const [a, b] of this.pairs) {
        a.resetAndDestroy();
        b.resetAndDestroy();
      }
    }
  }

  /** Resolves once more than `count` proxied connections have ended (a side gave the link up). */
  closedMoreThan(count: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.closedConnections <= count) return;
        clearTimeout(timer);
        this.closeWaiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.closeWaiters.delete(check);
        reject(new Error(`no proxied connection ended within ${timeoutMs} ms`));
      }, timeoutMs);
      this.closeWaiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    this.setMode('reset');
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    this.connections++;
    const upstream = connect(this.target);
    upstream.on('error', () => {});
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (this.mode === 'pass') to.write(chunk);
        else this.droppedBytes += chunk.length;
      });
      from.on('close', () => {
        if (this.pairs.delete(pair)) {
          this.closedConnections++;
          for (const w of [...this.closeWaiters]) w();
        }
        to.destroy();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  }
}
