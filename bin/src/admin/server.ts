import { timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Lifecycle, listen, type BoundAddress } from '@gateworker/protocol/node';
import type { AdminBackend } from './backend.js';

/** How often the topology page gets a fresh tree over SSE, in ms. */
export const DEFAULT_PAGE_UPDATE_INTERVAL_MS = 1_000;
/** Longest lookup query accepted, in characters (a client id is ≤ 24, a uid is the app's). */
export const MAX_LOOKUP_QUERY_CHARS = 256;

const UI_DIR = new URL('../../admin-ui/', import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export interface AdminServerOptions {
  host: string;
  port: number;
  /** Bearer token every request must carry (header, or `?token=` for the page and its event stream). */
  token: string | null;
  backend: AdminBackend;
  logger: Logger;
  updateIntervalMs?: number;
}

/**
 * The admin endpoint: `/metrics` (Prometheus), `/healthz`, `/readyz`, and `/` — the live
 * topology page (static files from bin/admin-ui, updates over server-sent events from `/events`,
 * lookups through `/api/lookup`). Plain node:http: a handful of routes needs no framework.
 */
export class AdminServer extends EventEmitter<{ close: [] }> {
  private readonly server: Server;
  private readonly assets = new Map<string, { body: Buffer; type: string }>();
  private readonly streams = new Set<ServerResponse>();
  private streamTimer: NodeJS.Timeout | null = null;
  private pushing = false;
  private stopping = false;
  private readonly token: Buffer | null;
  /** close() idempotent, destroy() safe during it, one 'close' event (see Lifecycle). */
  private readonly lifecycle = new Lifecycle(() => this.emit('close'));

  constructor(private readonly options: AdminServerOptions) {
    super();
    this.token = options.token === null ? null : Buffer.from(options.token);
    for (const [path, a] of Object.entries(ASSETS)) this.assets.set(path, { body: readFileSync(new URL(a.file, UI_DIR)), type: a.type });
    this.server = createServer((req, res) => void this.route(req, res));
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Binds (port 0: any free port) and resolves with the bound address. */
  start(): Promise<BoundAddress> {
    return listen(this.server, this.options.host, this.options.port, (err) => this.options.logger.error({ err }, 'admin endpoint error'));
  }

  /** /healthz turns 503 (the process is stopping); everything else keeps answering. */
  drain(): Promise<void> {
    this.stopping = true;
    return Promise.resolve();
  }

  /** Ends the event streams, then closes the server and its connections. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.lifecycle.close(() => {
      this.endStreams();
      return new Promise((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
    });
  }

  /** Immediate: the same without waiting for the server's close. Safe during close(); 'close' is emitted once either way. */
  destroy(): void {
    this.lifecycle.destroy(() => {
      this.endStreams();
      this.server.close();
      this.server.closeAllConnections();
    });
  }

  private endStreams(): void {
    this.stopping = true;
    if (this.streamTimer !== null) clearInterval(this.streamTimer);
    this.streamTimer = null;
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    if (this.token === null) return true;
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') === true ? header.slice(7) : url.searchParams.get('token');
    if (given === null) return false;
    const bytes = Buffer.from(given);
    return bytes.length === this.token.length && timingSafeEqual(bytes, this.token);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n', { Allow: 'GET, HEAD' });
      if (!this.authorized(req, url)) return send(res, 401, 'text/plain', 'a bearer token is required\n', { 'WWW-Authenticate': 'Bearer' });
      const { backend } = this.options;
      switch (url.pathname) {
        case '/healthz':
          return sendJson(res, this.stopping ? 503 : 200, { status: this.stopping ? 'stopping' : 'ok' });
        case '/readyz': {
          const tree = await backend.tree();
          return sendJson(res, tree.readiness.ready ? 200 : 503, { ready: tree.readiness.ready, missing: tree.readiness.missing, at: tree.at });
        }
        case '/metrics':
          return send(res, 200, backend.metricsContentType, await backend.metrics());
        case '/api/tree':
          return sendJson(res, 200, await backend.tree());
        case '/api/lookup': {
          const q = (url.searchParams.get('q') ?? '').trim();
          if (q === '' || q.length > MAX_LOOKUP_QUERY_CHARS)
            return sendJson(res, 400, { error: `q: a client id or uid of 1 to ${MAX_LOOKUP_QUERY_CHARS} characters` });
          return sendJson(res, 200, { query: q, clients: await backend.lookup(q) });
        }
        case '/events':
          return this.openStream(req, res);
        default: {
          const asset = this.assets.get(url.pathname);
          if (asset === undefined) return send(res, 404, 'text/plain', 'not found\n');
          return send(res, 200, asset.type, asset.body, { 'Cache-Control': 'no-cache' });
        }
      }
    } catch (err) {
      this.options.logger.warn({ err, path: url.pathname }, 'admin request failed');
      if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
      else res.end();
    }
  }

  /** Server-sent events: the tree now, then every updateIntervalMs while the page is open. */
  private openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    this.streams.add(res);
    req.on('close', () => {
      this.streams.delete(res);
      if (this.streams.size === 0 && this.streamTimer !== null) {
        clearInterval(this.streamTimer);
        this.streamTimer = null;
      }
    });
    void this.push();
    this.streamTimer ??= setInterval(() => void this.push(), this.options.updateIntervalMs ?? DEFAULT_PAGE_UPDATE_INTERVAL_MS);
  }

  private async push(): Promise<void> {
    if (this.pushing || this.streams.size === 0) return;
    this.pushing = true;
    try {
      const data = `data: ${JSON.stringify(await this.options.backend.tree())}\n\n`;
      for (const res of this.streams) res.write(data);
    } catch (err) {
      this.options.logger.debug({ err }, 'topology update failed');
    } finally {
      this.pushing = false;
    }
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}
