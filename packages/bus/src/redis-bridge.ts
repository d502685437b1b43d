import { Lifecycle, withTimeout, type Logger } from '@gateworker/protocol/node';
import { Redis } from 'ioredis';
import { Intake } from './intake.js';
import { backoffDelayMs, type ResolvedBusOptions } from './options.js';
import { BridgeCounters, snapshotOf, type BridgeSnapshot } from './stats.js';
import { TimedLog } from './timed-log.js';

/** close(): longest wait for QUIT's reply, in milliseconds. */
const CLOSE_TIMEOUT_MS = 1_000;

/**
 * Redis pub/sub → this gateway. One subscriber connection per gateway process on the configured
 * channel; every gateway receives every message and applies it to its own clients only, so each
 * client gets one copy. ioredis reconnects with our backoff; we subscribe again ourselves on each
 * connection, so `ready` means subscribed.
 */
export class RedisBridge {
  readonly counters = new BridgeCounters();
  private readonly intake: Intake;
  private readonly log: Logger;
  private readonly errors: TimedLog;
  private redis: Redis | null = null;
  /** close() idempotent, destroy() safe during it (see Lifecycle). */
  private readonly lifecycle = new Lifecycle();
  /** close() or destroy() was called: no reconnect, no new subscription. */
  private get closing(): boolean {
    return this.lifecycle.stopping;
  }

  constructor(
    private readonly o: ResolvedBusOptions,
    private readonly redisOptions: { readonly url: string; readonly channel: string },
  ) {
    this.log = o.logger.child({ bridge: 'redis' });
    this.errors = new TimedLog(this.log, o.rejectLogIntervalMs);
    this.intake = new Intake({
      bridge: 'redis',
      target: o.target,
      maxMessageBytes: o.maxMessageBytes,
      rejectLogIntervalMs: o.rejectLogIntervalMs,
      counters: this.counters,
      log: this.log,
    });
  }

  start(): void {
    if (this.redis !== null || this.closing) return;
    this.counters.state = 'connecting';
    const redis = (this.redis = new Redis(this.redisOptions.url, {
      lazyConnect: true,
      autoResubscribe: false,
      // Commands wait for a connection instead of failing after a few retries: the only one is SUBSCRIBE.
      maxRetriesPerRequest: null,
      retryStrategy: (times) => (this.closing ? null : backoffDelayMs(times, this.o.reconnect)),
      connectionName: `gateworker-bus-${this.o.target.gatewayId}`,
    }));
    redis.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.intake.handle(message));
    redis.on('ready', () => this.subscribe(redis));
    redis.on('close', () => {
      if (this.closing) return;
      if (this.counters.state === 'ready') {
        this.counters.disconnects++;
        this.log.warn({ url: redactUrl(this.redisOptions.url) }, 'redis bus connection lost: reconnecting');
      }
      this.counters.state = this.counters.connects === 0 ? 'connecting' : 'reconnecting';
    });
    redis.on('error', (err: Error) => this.errors.warn('error', { err: err.message, url: redactUrl(this.redisOptions.url) }, 'redis bus error'));
    redis.connect().catch(() => {
      /* reported through 'error'; ioredis keeps retrying */
    });
  }

  private subscribe(redis: Redis): void {
    redis.subscribe(this.redisOptions.channel).then(
      () => {
        if (this.closing || redis !== this.redis) return;
        this.counters.connects++;
        this.counters.state = 'ready';
        this.log.info({ url: redactUrl(this.redisOptions.url), channel: this.redisOptions.channel }, 'redis bus subscribed');
      },
      (err: unknown) => {
        // The connection drops or the server refused: the next 'ready' tries again.
        this.errors.warn('subscribe', { err: (err as Error).message }, 'redis bus subscribe failed');
      },
    );
  }

  snapshot(): BridgeSnapshot {
    return snapshotOf('redis', this.counters, this.redisOptions.channel);
  }

  /** Unsubscribes with QUIT (bounded by CLOSE_TIMEOUT_MS) and disconnects. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      const wasReady = this.counters.state === 'ready';
      this.counters.state = 'closed';
      const redis = this.redis;
      if (redis === null) return;
      // QUIT would wait in the offline queue for a server that is down: only a live connection gets one.
      if (wasReady) await withTimeout(redis.quit(), CLOSE_TIMEOUT_MS);
      redis.disconnect();
    });
  }

  /** Disconnects now. Safe during close(), which then resolves. */
  destroy(): void {
    this.lifecycle.destroy(() => {
      this.counters.state = 'closed';
      this.redis?.disconnect();
    });
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}
