import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { GatewayInfo, WorkerInfo } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import { RegisterClient, RegisterServer, type RegisterClientOptions, type RegisterServerOptions } from '../src/index.js';
import { within } from '../../../test/helpers/wait.js';

export const SECRET = 'test-secret';
export const FAST_LINK = { pingIntervalMs: 50, timeoutMs: 400 };

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

/** A Logger that records every line and emits 'line' for each, so tests can await a log line. */
export class CaptureLogger extends EventEmitter implements Logger {
  readonly lines: LogLine[] = [];
  debug(obj: object, msg = ''): void {
    this.push('debug', obj, msg);
  }
  info(obj: object, msg = ''): void {
    this.push('info', obj, msg);
  }
  warn(obj: object, msg = ''): void {
    this.push('warn', obj, msg);
  }
  error(obj: object, msg = ''): void {
    this.push('error', obj, msg);
  }
  child(): Logger {
    return this;
  }

  /** Resolves with the first line (past or future) matching `match`; rejects after `timeoutMs`. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs = 3_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return within(
      new Promise((resolve) => {
        const onLine = (line: LogLine): void => {
          if (!match(line)) return;
          this.off('line', onLine);
          resolve(line);
        };
        this.on('line', onLine);
      }),
      timeoutMs,
      'log line',
    );
  }

  private push(level: LogLine['level'], obj: object, msg: string): void {
    const line = { level, obj: obj as Record<string, unknown>, msg };
    this.lines.push(line);
    this.emit('line', line);
  }
}

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
    const logger = new CaptureLogger();
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
    const logger = new CaptureLogger();
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
