import { ErrorCode, ProtocolError, WireErrorCode, type Message } from '@gateworker/protocol';
import { connectLink, type Link, type Logger } from '@gateworker/protocol/node';
import { describeError } from './errors.js';
import type { RegisterAddress, ResolvedRegisterClientOptions } from './options.js';

/** What a RegisterConnection reports to its RegisterClient. */
export interface ConnectionHooks {
  /** The handshake succeeded: `connection.link` is usable. */
  onUp(connection: RegisterConnection): void;
  onMessage(connection: RegisterConnection, message: Message): void;
  /** An established link was lost (not called for failed attempts, nor after close()). */
  onDown(connection: RegisterConnection, error: Error | null): void;
  /** A connection attempt failed; another follows after a backoff. */
  onAttemptFailed(connection: RegisterConnection, error: Error): void;
}

/** While a register stays unreachable, at most one warn line per this many milliseconds. */
export const REPEAT_LOG_MS = 30_000;

/** Errors that will not go away by retrying: a configuration problem, logged at error level. */
export const CONFIG_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.AuthFailed,
  ErrorCode.VersionMismatch,
  ErrorCode.RoleRefused,
  ErrorCode.ClusterMismatch,
]);

function errorCode(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The link to one register, kept up forever: dial, handshake, and on failure or loss retry after
 * an exponential backoff with jitter (reset by a successful handshake). Knows nothing of the
 * messages beyond handing them to its hooks.
 */
export class RegisterConnection {
  readonly address: string;
  /** The authenticated link while connected, else null. */
  link: Link | null = null;
  /** The last error seen on this register (failed attempt, lost link, Error frame); null once connected cleanly. */
  lastError: Error | null = null;
  /** True once the first attempt concluded (connected or failed). */
  attemptedOnce = false;
  /** Role worker/client: the register's GatewayList arrived on the current link. */
  listed = false;

  private readonly target: RegisterAddress;
  private readonly options: ResolvedRegisterClientOptions;
  private readonly hooks: ConnectionHooks;
  private readonly log: Logger;
  /** Consecutive failures since the last successful handshake; drives the backoff. */
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private attempt: Promise<void> | null = null;
  private closed = false;
  /** Error code last logged at warn/error level, so a register that stays down logs once per cause. */
  private loggedCode: string | null = null;
  /** Monotonic time of the last warn/error line about this register being unreachable. */
  private loggedAt = 0;

  constructor(target: RegisterAddress, options: ResolvedRegisterClientOptions, hooks: ConnectionHooks) {
    this.target = target;
    this.address = target.address;
    this.options = options;
    this.hooks = hooks;
    this.log = options.logger;
  }

  get isConnected(): boolean {
    return this.link !== null;
  }

  start(): void {
    if (this.closed || this.attempt !== null || this.link !== null || this.timer !== null) return;
    this.attempt = this.connect().finally(() => (this.attempt = null));
  }

  /** Records an error the register reported in an Error frame; the register closes the link next. */
  notePeerError(error: Error): void {
    this.lastError = error;
  }

  /** Stops retrying and closes the link. Resolves once the socket is closed. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.attempt !== null) await this.attempt;
    const link = this.link;
    this.link = null;
    if (link !== null) await link.close();
  }

  /** Stops retrying and drops the link now, without flushing. An attempt in progress closes its link when it completes. */
  destroy(): void {
    this.closed = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const link = this.link;
    this.link = null;
    link?.destroy();
  }

  private async connect(): Promise<void> {
    const { secret, role, nodeId, link: linkOptions, cluster } = this.options;
    let link: Link;
    try {
      ({ link } = await connectLink({ host: this.target.host, port: this.target.port, secret, role, nodeId, cluster, link: linkOptions }));
    } catch (err) {
      if (this.closed) return;
      const error = err instanceof Error ? err : new Error(String(err));
      this.lastError = error;
      this.attemptedOnce = true;
      this.logFailure(error);
      this.hooks.onAttemptFailed(this, error);
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await link.close();
      return;
    }
    this.link = link;
    this.listed = false;
    const attempts = this.failures;
    this.failures = 0;
    this.lastError = null;
    this.loggedCode = null;
    this.attemptedOnce = true;
    link.onMessage = (message) => this.hooks.onMessage(this, message);
    void link.closed.then((err) => this.onClosed(link, err));
    // Back after failures: info; a first connect is routine.
    if (attempts > 0) this.log.info({ register: this.address, attempts }, `connected to register ${this.address} again`);
    else this.log.debug({ register: this.address }, `connected to register ${this.address}`);
    this.hooks.onUp(this);
  }

  private onClosed(link: Link, err: Error | null): void {
    if (this.link !== link) return; // closed by close()
    this.link = null;
    this.listed = false;
    const error = err ?? this.lastError;
    if (err !== null) this.lastError = err;
    this.log.warn(
      { register: this.address, code: error === null ? undefined : errorCode(error) },
      `lost the register ${this.address}: ${error === null ? 'closed by the register' : describeError(error)}`,
    );
    this.hooks.onDown(this, error);
    this.scheduleReconnect();
  }

  private logFailure(error: Error): void {
    const code = errorCode(error) ?? 'unknown';
    const message = `cannot connect to register ${this.address}: ${describeError(error)}`;
    const fields = { register: this.address, code, attempt: this.failures + 1 };
    const now = performance.now();
    // A register that stays down: one line per cause, then one every REPEAT_LOG_MS with the attempt count.
    if (code === this.loggedCode && now - this.loggedAt < REPEAT_LOG_MS) this.log.debug(fields, message);
    else if (code === this.loggedCode) this.log.warn(fields, `${message} (still failing after ${this.failures + 1} attempts)`);
    else if (CONFIG_ERRORS.has(code)) {
      const hint = code === ErrorCode.AuthFailed ? ' (check that the secret is the same on every node)' : '';
      this.log.error(fields, message + hint);
    } else this.log.warn(fields, message);
    if (code !== this.loggedCode || now - this.loggedAt >= REPEAT_LOG_MS) this.loggedAt = now;
    this.loggedCode = code;
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const { initialDelayMs, maxDelayMs } = this.options.reconnect;
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    // "Equal jitter": between half and all of the ceiling, so clients restarted together spread out.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, delay);
    this.timer.unref();
  }
}

/** A ProtocolError for a message the register should not have sent. */
export function unexpectedFromRegister(what: string): ProtocolError {
  return new ProtocolError(ErrorCode.Unexpected, `a register may not send ${what}`, { wire: WireErrorCode.Unexpected });
}
