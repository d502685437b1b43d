import { connect, type Socket } from 'node:net';
import type { GatewayInfo, WorkerInfo } from '@gateworker/protocol';
import { RegisterClient, RegisterServer, type RegisterClientOptions, type RegisterServerOptions } from '../src/index.js';
import { within } from '../../../test/helpers/wait.js';
import { CaptureLogger } from '../../../test/helpers/capture-logger.js';

export const SECRET = 'test-secret';
export const FAST_LINK = { pingIntervalMs: 50, timeoutMs: 400 };
/** How long these tests wait for a log line by default, in milliseconds. */
export const REGISTER_WAIT_MS = 3_000;

let pidCounter = 10_000;

export function gatewayInfo(gatewayId: string, overrides: Partial<GatewayInfo> = {}): GatewayInfo {
  return {
    gatewayId,
    nodeId: 'node-a',
    address: `127.0.0.1:${2900 + gatewayId.length}`,
    processIndex: 0,
    pid: pidCounter++,
    stats: { clients: 0, uids: 0, groups: 0, workers: 0, pending: 0 },
    ...overrides,
  };
}

export function workerInfo(workerId: string, overrides: Partial<WorkerInfo> = {}): WorkerInfo {
  return { workerId, nodeId: 'node-a', pid: pidCounter++, state: 'ready', inflight: 0, handled: 0, gateways: 0, ...overrides };
}

/** Creates servers and clients and closes all of them in `closeAll()` (call it in afterEach). */
export class Harness {
  private readonly closers: Array<() => Promise<unknown>> = [];

  async server(options: Partial<RegisterServerOptions> = {}): Promise<{ server: RegisterServer; address: string; logger: CaptureLogger }> {
    const logger = new CaptureLogger(REGISTER_WAIT_MS);
    const server = new RegisterServer({
      listen: { host: '127.0.0.1', port: 0 },
      secret: SECRET,
      nodeId: 'register-1',
      logger,
      link: FAST_LINK,
      ...options,
    });
    this.closers.push(() => server.close());
    const { host, port } = await server.start();
    return { server, address: `${host}:${port}`, logger };
  }

  client(options: Partial<RegisterClientOptions> & Pick<RegisterClientOptions, 'registers'>): { client: RegisterClient; logger: CaptureLogger } {
    const logger = new CaptureLogger(REGISTER_WAIT_MS);
    const client = new RegisterClient({
      secret: SECRET,
      role: 'client',
      nodeId: 'client-node',
      logger,
      link: FAST_LINK,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      statsIntervalMs: 50,
      ...options,
    });
    this.closers.push(() => client.close());
    client.start();
    return { client, logger };
  }

  /** Registers any other resource to close after the test. */
  add(close: () => Promise<unknown> | void): void {
    this.closers.push(async () => close());
  }

  async closeAll(): Promise<void> {
    const closers = this.closers.splice(0).reverse();
    await Promise.all(closers.map((close) => close()));
  }
}

export function hostPort(address: string): { host: string; port: number } {
  const [host, port] = address.split(':') as [string, string];
  return { host, port: Number(port) };
}

/** A plain TCP connection to a register (for bytes that are not the protocol), closed by the harness. */
export function rawSocket(h: Harness, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(hostPort(address), () => resolve(socket));
    socket.on('error', () => {}); // a reset by the register is expected
    socket.once('error', reject);
    h.add(() => {
      socket.destroy();
    });
  });
}

export function closedWithin(socket: Socket, timeoutMs = 3_000): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      socket.on('close', () => resolve());
      socket.resume();
    }),
    timeoutMs,
    'socket close',
  );
}
