import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentreError, EtcdCentre, ZooKeeperCentre, type CentreDocument, type CentreState, type ConfigCentre } from '../src/index.js';
import { startEtcd } from '../../../test/helpers/etcd.js';
import { startZooKeeper } from '../../../test/helpers/zookeeper-server.js';
import { Inbox } from '../../../test/helpers/inbox.js';

/** A real server of one backend, and how to make a centre on it. */
interface Backend {
  name: string;
  start(): Promise<{ kill(): Promise<void>; restart(): Promise<void>; stop(): Promise<void>; address: string }>;
  /** A centre on `address`; `short` asks for a short session (ZooKeeper) so an outage can outlast it. */
  make(address: string, key: string, options?: { short?: boolean; callTimeoutMs?: number }): ConfigCentre;
  /** What the description of a centre on an unreachable address contains. */
  unreachable: { address: string; description: string };
}

const BACKENDS: Backend[] = [
  {
    name: 'etcd',
    start: async () => {
      const s = await startEtcd();
      return { kill: () => s.kill(), restart: () => s.restart(), stop: () => s.stop(), address: s.endpoint };
    },
    make: (address, key, o = {}) =>
      new EtcdCentre({ endpoints: [address], key, ...(o.callTimeoutMs !== undefined && { callTimeoutMs: o.callTimeoutMs }) }),
    unreachable: { address: 'http://127.0.0.1:9', description: 'etcd http://127.0.0.1:9 key /x' },
  },
  {
    name: 'zookeeper',
    start: async () => {
      const s = await startZooKeeper();
      return { kill: s.kill, restart: s.restart, stop: s.stop, address: s.servers };
    },
    // A writer that must outlive a restart gets a long call timeout: a replaced session reconnects first.
    make: (address, path, o = {}) =>
      new ZooKeeperCentre({ servers: address, path, ...(o.short === true && { sessionTimeoutMs: 1_500 }), callTimeoutMs: o.callTimeoutMs ?? 10_000 }),
    unreachable: { address: '127.0.0.1:9', description: 'zookeeper 127.0.0.1:9 node /x' },
  },
];

for (const backend of BACKENDS) {
  describe(`${backend.name} centre (real server)`, () => {
    let server: Awaited<ReturnType<Backend['start']>>;
    beforeAll(async () => {
      server = await backend.start();
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    let keys = 0;
    const freshKey = () => `/gw-test/${process.pid}/${++keys}/config`;
    const pair = (key: string, short = false) => [backend.make(server.address, key), backend.make(server.address, key, { short })] as const;

    it('reads null for a missing document, then what was written, with its revision', async () => {
      const centre = backend.make(server.address, freshKey());
      try {
        expect(await centre.read()).toBeNull();
        const revision = await centre.write('app:\n  greeting: hi\n');
        expect(await centre.read()).toEqual({ text: 'app:\n  greeting: hi\n', revision });
      } finally {
        await centre.close();
      }
    });

    it('watches changes made after a read, none missed between the read and the watch', async () => {
      const [writer, reader] = pair(freshKey());
      const changes = new Inbox<CentreDocument | null>();
      try {
        await writer.write('v: 1\n');
        const first = await reader.read();
        await writer.write('v: 2\n'); // after the read, before the watch starts: must not be missed
        const watch = await reader.watch(first, { change: (d) => changes.push(d), state: () => {} });
        expect((await changes.next(10_000, 'a change'))?.text).toBe('v: 2\n');
        await writer.write('v: 3\n');
        expect((await changes.next(10_000, 'a change'))?.text).toBe('v: 3\n');
        await watch.close();
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });

    // The second case outlasts a short ZooKeeper session: the server expires it, a new one must re-read.
    for (const outage of [
      { what: 'a short outage', pauseMs: 0 },
      { what: 'an outage longer than the session', pauseMs: 4_000 },
    ]) {
      it(`survives ${outage.what}: a change made after the server returns is reported`, async () => {
        const [writer, reader] = pair(freshKey(), true);
        const changes = new Inbox<CentreDocument | null>();
        const states = new Inbox<CentreState>();
        try {
          await writer.write('v: 1\n');
          const watch = await reader.watch(await reader.read(), { change: (d) => changes.push(d), state: (s) => states.push(s) });
          await server.kill();
          expect(await states.next(15_000, 'a state')).toBe('disconnected');
          if (outage.pauseMs > 0) await new Promise((r) => setTimeout(r, outage.pauseMs));
          await server.restart();
          await writer.write('v: after\n');
          expect((await changes.next(30_000, 'a change'))?.text).toBe('v: after\n');
          await watch.close();
        } finally {
          await Promise.all([writer.close(), reader.close()]);
        }
      }, 60_000);
    }

    it('fails a read with a CentreError naming the centre when nothing listens', async () => {
      const centre = backend.make(backend.unreachable.address, '/x', { callTimeoutMs: 500 });
      try {
        const err = await centre.read().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CentreError);
        expect((err as CentreError).message).toContain(backend.unreachable.description);
      } finally {
        await centre.close();
      }
    });
  });
}
