import { describe, expect, it } from 'vitest';
import { Router, type RoutableLink } from '../src/router.js';

type Named = RoutableLink & { name: string };

function link(name: string, unacked = 0, routable = true): Named {
  return { name, unacked, routable, hasRoom: true };
}

describe('Router', () => {
  it('sticky: keeps the current link while it is routable', () => {
    const r = new Router('sticky');
    const [a, b] = [link('a', 5), link('b', 0)];
    expect(r.route(a, 0, [a, b])).toBe(a);
    expect(r.route(a, 3, [a, b])).toBe(a);
  });

  it('sticky: picks the least busy link for a new client, ties round-robin', () => {
    const r = new Router<Named>('sticky');
    const [a, b, c] = [link('a', 2), link('b', 1), link('c', 1)];
    const picks = [r.route(null, 0, [a, b, c]), r.route(null, 0, [a, b, c]), r.route(null, 0, [a, b, c]), r.route(null, 0, [a, b, c])];
    expect(picks.map((l) => l?.name)).toEqual(['b', 'b', 'c', 'b']);
    const [x, y] = [link('x'), link('y')];
    const spread = [0, 1, 2, 3].map(() => r.route(null, 0, [x, y])?.name);
    expect(new Set(spread)).toEqual(new Set(['x', 'y']));
  });

  it('holds events of a client with events in flight on a non-routable link', () => {
    for (const policy of ['sticky', 'random', 'least-busy'] as const) {
      const r = new Router(policy);
      const draining = link('d', 3, false);
      const other = link('o');
      expect(r.route(draining, 2, [other])).toBeNull();
      // Once idle it moves.
      expect(r.route(draining, 0, [other])).toBe(other);
    }
  });

  it('random and least-busy re-pick only when the client is idle', () => {
    const random = new Router('random', () => 0.99);
    const [a, b] = [link('a', 0), link('b', 10)];
    expect(random.route(a, 1, [a, b])).toBe(a);
    expect(random.route(a, 0, [a, b])).toBe(b);
    const least = new Router('least-busy');
    expect(least.route(b, 4, [a, b])).toBe(b);
    expect(least.route(b, 0, [a, b])).toBe(a);
  });

  it('returns null when no link is usable', () => {
    expect(new Router('sticky').route(null, 0, [])).toBeNull();
  });

  it('sticky rebalances gradually: an idle client on an overloaded link moves to the least loaded one', () => {
    const r = new Router<Named & { clients: number }>('sticky');
    const busy = { ...link('busy'), clients: 90 };
    const back = { ...link('back'), clients: 10 }; // a worker that came back after a fault
    const picks = Array.from({ length: 8 }, () => r.route(busy, 0, [busy, back])?.name);
    // Most events stay (sticky); one in REBALANCE_CHECK_EVERY moves.
    expect(picks.filter((p) => p === 'back')).toHaveLength(2);
    expect(picks.filter((p) => p === 'busy')).toHaveLength(6);
    // A client with events in flight never moves.
    expect(Array.from({ length: 8 }, () => r.route(busy, 1, [busy, back])?.name)).toEqual(Array(8).fill('busy'));
    // Balanced (within the slack): nobody moves.
    const a = { ...link('a'), clients: 52 };
    const b = { ...link('b'), clients: 48 };
    expect(new Set(Array.from({ length: 16 }, () => r.route(a, 0, [a, b])?.name))).toEqual(new Set(['a']));
    // New clients go to the link with the fewest clients.
    expect(r.route(null, 0, [busy, back])?.name).toBe('back');
  });
});
