import { ErrorCode, opName, ProtocolError, WireErrorCode } from '@gateworker/protocol';
import { Lifecycle, type Logger } from '@gateworker/protocol/node';
import { ClusterApiImpl } from './cluster-api.js';
import type { Session } from './cluster-api-types.js';
import type { GatewayDirectory } from './directory.js';
import { ClosedError } from './errors.js';
import { GatewayLinks } from './gateway-links.js';
import { resolveClientOptions, type GatewayClientOptions, type ResolvedClientOptions } from './options.js';
import { QueryManager } from './query.js';
import type { AppConfigChange, AppConfigWatch } from '@gateworker/centre';
import { DEFAULT_REGISTER_READY_TIMEOUT_MS } from '@gateworker/register';
import { createDirectory } from './register-directory.js';

/**
 * The cluster API for any other Node program (an HTTP app pushing to clients): learns the
 * gateways from the registers, keeps one link to each (role 'client': commands and queries, never
 * client events), follows the list and reconnects. Connects on first use or on `ready()`; every
 * method waits for readiness itself, at most queryTimeoutMs, then goes ahead with the gateways
 * it has (queries name the others as missing).
 *
 * `S` types the sessions its queries return (`new GatewayClient<ChatSession>({...})`).
 * A script that is done with it calls `close()`: the open links keep Node's event loop alive.
 */
export class GatewayClient<S extends object = Session> extends ClusterApiImpl<S> {
  readonly options: ResolvedClientOptions;
  private readonly logger: Logger;
  private readonly directory: GatewayDirectory;
  private readonly links: GatewayLinks;
  private readonly queries: QueryManager;
  private state: 'new' | 'started' | 'closed';
  /** The first readiness wait is over (every listed gateway was connected, or the wait timed out): methods no longer wait. */
  private isReady: boolean;
  private readiness: Promise<void> | null;
  /** A register answered once (the register client keeps its view from then on). */
  private listKnown: boolean;
  /** close() idempotent, destroy() safe during it (see Lifecycle). */
  private readonly lifecycle = new Lifecycle();
  /** With the `config` option: the centre document's `app` section, watched (loaded on start: etcd and ZooKeeper clients only load when used). */
  private appConfig: AppConfigWatch | null = null;
  private appConfigStarting: Promise<void> | null = null;

  constructor(options: GatewayClientOptions) {
    const o = resolveClientOptions(options);
    const queries = new QueryManager();
    const directory = createDirectory(o, 'client', o.nodeId, null);
    const links = new GatewayLinks(
      directory,
      {
        role: 'client',
        secret: o.secret,
        nodeId: o.nodeId,
        link: o.link,
        reconnect: o.reconnect,
        logger: o.logger,
        cluster: o.cluster,
        commandBuffer: o.commandBuffer,
      },
      {
        onEvent: (session, event) =>
          session.link.fail(
            new ProtocolError(ErrorCode.Unexpected, `${opName(event.op)} sent to a GatewayClient`, { wire: WireErrorCode.Unexpected }),
          ),
        onQueryReply: (session, reply) => queries.onReply(session, reply),
        onSessionOpen: () => {},
        onSessionClosed: (session) => queries.sessionClosed(session),
      },
    );
    let self: GatewayClient<S> | null = null;
    super({
      links,
      queries,
      logger: o.logger,
      queryTimeoutMs: o.queryTimeoutMs,
      whenUsable: () => (self as GatewayClient<S>).whenUsable(),
      local: null,
    });
    self = this;
    this.options = o;
    this.logger = o.logger;
    this.directory = directory;
    this.links = links;
    this.queries = queries;
    this.state = 'new';
    this.isReady = false;
    this.readiness = null;
    this.listKnown = false;
  }

  /**
   * With the `config` option: the centre document's `app` section, read-only, replaced whole on
   * each change (an empty object until `ready()` has read it). Without it: an empty object.
   */
  get config(): Readonly<Record<string, unknown>> {
    return this.appConfig?.current ?? EMPTY_CONFIG;
  }

  /**
   * Connects (if not yet) and resolves once the registers answered and every listed gateway has
   * a link. Rejects with a ReadyTimeoutError (GW_ERR_READY_TIMEOUT) naming the missing gateways,
   * or with the register client's error when no register answered.
   */
  async ready(timeoutMs: number = this.options.readyTimeoutMs): Promise<void> {
    if (this.state === 'closed') throw new ClosedError('the GatewayClient');
    this.startOnce();
    const deadline = performance.now() + timeoutMs;
    await this.startConfig();
    await this.directory.ready(Math.min(timeoutMs, DEFAULT_REGISTER_READY_TIMEOUT_MS));
    this.listKnown = true;
    this.links.sync();
    await this.links.whenAll((p) => p.session !== null, Math.max(1, deadline - performance.now()), 'GatewayClient');
    this.isReady = true;
  }

  /**
   * Closes every link (flushing what is queued) and the register client; pending queries end
   * (their gateways count as missing). Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    return this.lifecycle.close(() => this.shutdown());
  }

  /** Immediate: drops every link without flushing. Safe during close(), which then resolves. */
  destroy(): void {
    this.lifecycle.destroy(() => {
      this.state = 'closed';
      this.queries.abortAll();
      this.links.destroy();
      void this.appConfig?.close().catch(() => {});
      void this.directory.close().catch(() => {});
    });
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    this.queries.abortAll();
    await this.appConfigStarting?.catch(() => {});
    await this.appConfig?.close();
    await this.links.close();
    await this.directory.close().catch((err: unknown) => this.logger.debug({ err }, 'closing the register client failed'));
  }

  private startConfig(): Promise<void> {
    const spec = this.options.config;
    if (spec === undefined) return Promise.resolve();
    const onChange = this.options.onConfigChange;
    this.appConfigStarting ??= import('@gateworker/centre').then(async ({ AppConfigWatch, createCentreFrom }) => {
      const watch = new AppConfigWatch(
        createCentreFrom(spec),
        (change: AppConfigChange) => {
          this.logger.info({ changed: change.changed }, 'GatewayClient config changed');
          try {
            onChange?.(change);
          } catch (err) {
            this.logger.error({ err }, 'onConfigChange failed');
          }
        },
        (reason) => this.logger.warn({ reason }, 'GatewayClient config centre: keeping the last good configuration'),
      );
      if (this.state === 'closed') {
        await watch.close();
        return;
      }
      this.appConfig = watch;
      await watch.start();
    });
    return this.appConfigStarting;
  }

  private startOnce(): void {
    if (this.state !== 'new') return;
    this.state = 'started';
    this.directory.start();
    this.links.start();
    void this.startConfig().catch((err: unknown) => this.logger.error({ err }, 'GatewayClient config centre failed to start'));
  }

  /** What a method awaits before using the links: nothing once ready, else a bounded readiness wait. */
  private whenUsable(): Promise<void> | null {
    if (this.state === 'closed') return Promise.reject(new ClosedError('the GatewayClient'));
    if (this.isReady) return null;
    // Only the first use waits: once that wait is over, a gateway that is down must not delay
    // every later call (its sends are skipped, queries name it as missing).
    // Without any register answer there is no gateway list: the call fails (and the next one waits again).
    this.readiness ??= this.ready(this.options.queryTimeoutMs).then(
      () => {},
      (err: unknown) => {
        if (!this.listKnown || this.state === 'closed') {
          this.readiness = null;
          throw err;
        }
        this.logger.warn({ err }, 'GatewayClient not fully connected; going ahead with the gateways it has');
        this.isReady = true;
      },
    );
    return this.readiness;
  }
}

const EMPTY_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({});
