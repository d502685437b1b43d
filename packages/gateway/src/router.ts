import type { RoutingPolicy } from './options.js';

/** What the router needs to know about a worker link. */
export interface RoutableLink {
  /** Ready (WorkerReady received), not draining, open. */
  readonly routable: boolean;
  /** Events sent on the link and not yet acknowledged. */
  readonly unacked: number;
  /** Its flow-control window has room for another event. */
  readonly hasRoom: boolean;
  /** Clients whose events currently go to this link (the sticky load); absent counts as 0. */
  readonly clients?: number;
}

/** Sticky rebalancing looks at one idle event in this many (a power of two): clients move gradually. */
export const REBALANCE_CHECK_EVERY = 4;
/** A link is overloaded when it has more than the fair share plus this fraction of it (at least one client). */
export const REBALANCE_SLACK = 0.1;

/**
 * Chooses the worker link for a client's next event. Pure: no sockets, no clocks.
 *
 * Per-client order rule: a client with events in flight stays on the link that has them; if
 * that link is no longer routable (draining) or its window is full, its next events are held
 * (null) until the in-flight ones are acknowledged or redelivered. Only an idle client is
 * (re)assigned, to a link with room in its window:
 * - sticky: keeps its link while routable, else the link with the fewest clients (then the least
 *   busy). Rebalancing: when a worker comes back or joins, the old links keep their clients; an
 *   idle client on a link holding more than its fair share (+10%) moves to the least loaded link
 *   on one of its next events, so the load evens out gradually, one idle client at a time;
 * - random: a random routable link;
 * - least-busy: the link with the fewest unacknowledged events.
 * Ties between equally busy links are broken round-robin.
 */
export class Router<L extends RoutableLink> {
  private rr = 0;
  private checks = 0;

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
        if (current !== null && current.routable && current.hasRoom) {
          return (++this.checks & (REBALANCE_CHECK_EVERY - 1)) === 0 ? this.rebalanced(current, usable) : current;
        }
        return this.leastLoaded(usable);
      case 'random': {
        const pick = usable[Math.floor(this.random() * usable.length) % usable.length] as L;
        return pick.hasRoom ? pick : this.leastBusy(usable);
      }
      case 'least-busy':
        return this.leastBusy(usable);
    }
  }

  /** An idle sticky client's link, or the least loaded one if its link holds more than its fair share. */
  private rebalanced(current: L, usable: readonly L[]): L {
    const n = usable.length;
    if (n < 2) return current;
    let total = 0;
    let least: L | null = null;
    for (const l of usable) {
      const c = l.clients ?? 0;
      total += c;
      if (l.hasRoom && (least === null || c < (least.clients ?? 0))) least = l;
    }
    if (least === null || least === current) return current;
    const fair = total / n;
    const mine = current.clients ?? 0;
    return mine > fair + Math.max(1, fair * REBALANCE_SLACK) && (least.clients ?? 0) < fair ? least : current;
  }

  /** Fewest clients, then fewest unacknowledged events, among links with room (null if none); ties rotate. */
  leastLoaded(usable: readonly L[]): L | null {
    return this.best(usable, fewerClients);
  }

  /** Fewest unacknowledged events among links with room (null if none); ties rotate. */
  leastBusy(usable: readonly L[]): L | null {
    return this.best(usable, fewerUnacked);
  }

  /** The link with room that `better` prefers; the scan starts one further each time, so ties rotate. */
  private best(usable: readonly L[], better: (a: L, b: L) => boolean): L | null {
    const n = usable.length;
    if (n === 0) return null;
    const start = this.rr++ % n;
    if (this.rr >= Number.MAX_SAFE_INTEGER) this.rr = 0;
    let best: L | null = null;
    for (let i = 0; i < n; i++) {
      const candidate = usable[(start + i) % n] as L;
      if (candidate.hasRoom && (best === null || better(candidate, best))) best = candidate;
    }
    return best;
  }
}

function fewerUnacked(a: RoutableLink, b: RoutableLink): boolean {
  return a.unacked < b.unacked;
}

function fewerClients(a: RoutableLink, b: RoutableLink): boolean {
  const dc = (a.clients ?? 0) - (b.clients ?? 0);
  return dc < 0 || (dc === 0 && a.unacked < b.unacked);
}
