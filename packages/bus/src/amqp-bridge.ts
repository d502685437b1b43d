import type { MembershipChange } from '@gateworker/gateway';
import { Lifecycle, type Logger } from '@gateworker/protocol/node';
import { connect, type Channel, type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { BindingSync } from './bindings.js';
import { Intake } from './intake.js';
import { backoffDelayMs, type AmqpMode, type ResolvedBusOptions } from './options.js';
import { redactUrl } from './redis-bridge.js';
import { ALL_KEY, gatewayKey, groupKey, uidKey } from './routing-keys.js';
import { BridgeCounters, snapshotOf, type BridgeSnapshot } from './stats.js';
import { TimedLog } from './timed-log.js';

/**
 * AMQP (RabbitMQ) → this gateway. Each gateway process declares the exchange (durable; fanout or
 * direct by mode) and its own exclusive, auto-delete queue, consumed without acknowledgements:
 * pushes are live, a redelivery would be a duplicate. amqplib's connection recovery reconnects
 * with our backoff and runs `setup` on every new connection, so the queue, its bindings and the
 * consumer come back after an outage; `ready` means consuming (and, in routing mode, bound).
 */
export class AmqpBridge {
  readonly counters = new BridgeCounters();
  private readonly intake: Intake;
  private readonly log: Logger;
  private readonly errors: TimedLog;
  /** Routing mode only. */
  private readonly bindings: BindingSync | null;
  private readonly onMembership = (c: MembershipChange): void => this.bindings?.change(c.kind === 'uid' ? uidKey(c.key) : groupKey(c.key), c.present);
  private model: RecoveringChannelModel | null = null;
  /** The channel of the current connection. */
  private channel: Channel | null = null;
  /** close() idempotent, destroy() safe during it (see Lifecycle). */
  private readonly lifecycle = new Lifecycle();
  /** close() or destroy() was called: no recovery, a connection that completes now is closed. */
  private get closing(): boolean {
    return this.lifecycle.stopping;
  }

  constructor(
    private readonly o: ResolvedBusOptions,
    private readonly amqp: { readonly url: string; readonly exchange: string; readonly mode: AmqpMode },
  ) {
    this.log = o.logger.child({ bridge: 'amqp' });
    this.errors = new TimedLog(this.log, o.rejectLogIntervalMs);
    this.intake = new Intake({
      bridge: 'amqp',
      target: o.target,
      maxMessageBytes: o.maxMessageBytes,
      rejectLogIntervalMs: o.rejectLogIntervalMs,
      counters: this.counters,
      log: this.log,
    });
    this.bindings =
      amqp.mode === 'routing'
        ? new BindingSync(amqp.exchange, [ALL_KEY, gatewayKey(o.target.gatewayId)], o.bindDelayMs, o.bindBatchMax, this.log)
        : null;
  }

  start(): void {
    if (this.model !== null || this.closing) return;
    this.counters.state = 'connecting';
    if (this.bindings !== null) {
      // Follow membership from now on, starting from what the clients hold now.
      const { uids, groups } = this.o.target.membership();
      for (const u of uids) this.bindings.change(uidKey(u), true);
      for (const g of groups) this.bindings.change(groupKey(g), true);
      this.o.target.on('membership-change', this.onMembership);
    }
    const url = redactUrl(this.amqp.url);
    connect(this.amqp.url, {
      clientProperties: { connection_name: `gateworker-bus-${this.o.target.gatewayId}` },
      recovery: {
        waitForConnect: false,
        calculateDelay: (attempt: number) => backoffDelayMs(attempt, this.o.reconnect),
        setup: (model: ChannelModel) => this.setup(model),
      },
    }).then(
      (model) => {
        if (this.closing) {
          void model.close().catch(() => {});
          return;
        }
        this.model = model;
        model.on('connect', () => {
          this.counters.connects++;
          this.counters.state = 'ready';
          this.log.info({ url, exchange: this.amqp.exchange, mode: this.amqp.mode, bindings: this.bindings?.boundCount }, 'amqp bus consuming');
        });
        model.on('disconnect', (err: Error) => {
          this.lost();
          this.counters.disconnects++;
          this.log.warn({ url, err: err.message }, 'amqp bus connection lost: reconnecting');
        });
        model.on('connect-failed', (err: Error) => {
          this.lost();
          this.errors.warn('connect-failed', { url, err: err.message }, 'amqp bus could not connect (retrying with backoff)');
        });
        model.on('error', (err: Error) => this.errors.warn('error', { url, err: err.message }, 'amqp bus error'));
      },
      (err: unknown) => this.log.error({ url, err: (err as Error).message }, 'amqp bus could not start'),
    );
  }

  /** Runs on every new connection, before it counts as connected. */
  private async setup(model: ChannelModel): Promise<void> {
    const { exchange, mode } = this.amqp;
    const channel = await model.createChannel();
    // A channel that dies alone (a refused bind, a deleted queue) takes the connection with it, so recovery rebuilds both.
    const restart = (): void => {
      if (this.channel === channel && !this.closing) void model.close().catch(() => {});
    };
    channel.on('error', (err: Error) => this.errors.warn('channel', { err: err.message }, 'amqp bus channel error'));
    channel.on('close', restart);
    await channel.assertExchange(exchange, mode === 'fanout' ? 'fanout' : 'direct', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    this.channel = channel;
    // Consume before binding so nothing routed to the queue waits for the consumer.
    await channel.consume(queue, (m) => (m === null ? restart() : this.intake.handle(m.content)), { noAck: true, exclusive: true });
    if (this.bindings === null) await channel.bindQueue(queue, exchange, '');
    else await this.bindings.attach(channel, queue);
  }

  private lost(): void {
    this.channel = null;
    this.bindings?.detach();
    if (!this.closing) this.counters.state = this.counters.connects === 0 ? 'connecting' : 'reconnecting';
  }

  snapshot(): BridgeSnapshot {
    const s = snapshotOf('amqp', this.counters, this.amqp.exchange);
    s.mode = this.amqp.mode;
    if (this.bindings !== null) s.bindings = this.bindings.boundCount;
    return s;
  }

  /** Closes the connection (its exclusive queue goes with it). Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      const model = this.detach();
      if (model !== null) await model.close().catch(() => {});
    });
  }

  /**
   * Starts closing the connection without waiting for the broker's answer (amqplib has no
   * immediate close). Safe during close(), which then resolves.
   */
  destroy(): void {
    this.lifecycle.destroy(() => {
      void this.detach()
        ?.close()
        .catch(() => {});
    });
  }

  /** Stops following membership and hands back the connection to close. */
  private detach(): RecoveringChannelModel | null {
    this.counters.state = 'closed';
    this.o.target.off('membership-change', this.onMembership);
    this.bindings?.detach();
    const model = this.model;
    this.model = null;
    return model;
  }
}
