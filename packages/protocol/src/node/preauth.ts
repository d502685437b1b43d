/** Connections still in the handshake, in total, that a server accepts by default. */
export const DEFAULT_MAX_PREAUTH_CONNECTIONS = 1024;
/** Connections still in the handshake from one remote address that a server accepts by default. */
export const DEFAULT_MAX_PREAUTH_PER_ADDRESS = 64;

export interface PreAuthLimits {
  /** Connections in the handshake over all addresses (0 = no limit). */
  maxTotal: number;
  /** Connections in the handshake from one remote address (0 = no limit). */
  maxPerAddress: number;
}

/**
 * Counts connections that have not finished the handshake, in total and per remote address, so
 * a flood of unauthenticated peers is refused at accept (closed at once, before anything is read)
 * instead of each holding a socket, a decoder and a timer for the handshake timeout. An
 * authenticated link no longer counts: the limit is on strangers, not on the cluster's size.
 */
export class PreAuthLimiter {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(readonly limits: PreAuthLimits) {}

  /** Connections in the handshake now. */
  get count(): number {
    return this.total;
  }

  /** Takes a slot for a new connection from `address`; false (and nothing taken) when a limit is reached. */
  admit(address: string): boolean {
    const { maxTotal, maxPerAddress } = this.limits;
    if (maxTotal > 0 && this.total >= maxTotal) return false;
    const n = this.byAddress.get(address) ?? 0;
    if (maxPerAddress > 0 && n >= maxPerAddress) return false;
    this.byAddress.set(address, n + 1);
    this.total++;
    return true;
  }

  /** Gives back the slot taken by `admit` (the handshake ended, either way). */
  release(address: string): void {
    const n = this.byAddress.get(address);
    if (n === undefined) return;
    if (n <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, n - 1);
    this.total--;
  }
}
