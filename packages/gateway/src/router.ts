import type { RoutingPolicy } from './options.js';

/** What the router needs to know about a worker link. */
export interface RoutableLink {
  /** Ready (WorkerReady received), not draining, open. */
  readonly routable: boolean;
  /** Events sent on the link and not yet acknowledged. */
  readonly unacked: number;
  /** Its flow-control window has room for another event. */
  readonly hasRoom: boolean;
}

/**
 * Chooses the worker link for a client's next event. Pure: no sockets, no clocks.
 *
 * Per-client order rule: a client with events in flight stays on the link that has them; if
 * that link is no longer routable (draining) or its window is full, its next events are held
 * (null) until the in-flight ones are acknowledged or redelivered. Only an idle client is
 * (re)assigned, to a link with room in its window:
 * - sticky: keeps its link while routable, else the least busy link;
 * - random: a random routable link;
 * - least-busy: the link with the fewest unacknowledged events.
 * Ties between equally busy links are broken round-robin.
 */
export class Router<L extends RoutableLink> {
  private rr = 0;

  constructor(
    /** Live: a change applies to the next routing decision (sticky clients keep their link while it is routable). */
    public policy: RoutingPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The link for the next event, or null to hold it (no routable link, or in-flight events on a non-routable one). */
  route(current: L | null, inflight: number, usable: readonly L[]): L | null {
    if (inflight > 0) return current !== null && current.routable && current.hasRoom ? current : null;
    if (usable.length === 0) return null;
    switch (this.policy) {
      case 'sticky':
        return current !== null && current.routable && current.hasRoom ? current : this.leastBusy(usable);
      case 'random': {
        const pick = usable[Math.floor(this.random() * usable.length) % usable.length] as L;
        return pick.hasRoom ? pick : this.leastBusy(usable);
      }
      case 'least-busy':
        return this.leastBusy(usable);
    }
  }

  /** Fewest unacknowledged events among links with room (null if none); the scan starts one further each time, so ties rotate. */
  leastBusy(usable: readonly L[]): L | null {
    const n = usable.length;
    if (n === 0) return null;
    const start = this.rr++ % n;
    if (this.rr >= Number.MAX_SAFE_INTEGER) this.rr = 0;
    let best: L | null = null;
    for (let i = 0; i < n; i++) {
      const candidate = usable[(start + i) % n] as L;
      if (candidate.hasRoom && (best === null || candidate.unacked < best.unacked)) best = candidate;
    }
    return best;
  }
}
