import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentreError, ZooKeeperCentre, type CentreDocument, type CentreState } from '../src/index.js';
import { startZooKeeper, type ZooKeeperServer } from '../../../test/helpers/zookeeper-server.js';
import { Inbox } from '../../../test/helpers/clients.js';

let zk: ZooKeeperServer;
beforeAll(async () => {
  zk = await startZooKeeper();
});
afterAll(async () => {
  await zk?.stop();
});

let keys = 0;
const freshKey = () => `/gw-test/${process.pid}/${++keys}/config`;

describe('ZooKeeperCentre (real ZooKeeper)', () => {
  it('reads null for a missing key, then what was written, with its revision', async () => {
    const centre = new ZooKeeperCentre({ servers: zk.servers, path: freshKey() });
    try {
      expect(await centre.read()).toBeNull();
      const revision = await centre.write('app:\n  greeting: hi\n');
      const doc = await centre.read();
      expect(doc).toEqual({ text: 'app:\n  greeting: hi\n', revision });
    } finally {
      await centre.close();
    }
  });

  it('watches changes made after a read, none missed between the read and the watch', async () => {
    const key = freshKey();
    const writer = new ZooKeeperCentre({ servers: zk.servers, path: key, sessionTimeoutMs: 4_000 });
    const reader = new ZooKeeperCentre({ servers: zk.servers, path: key, sessionTimeoutMs: 4_000 });
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

  it('survives the centre going away: a change made after it returns is reported', async () => {
    const key = freshKey();
    const writer = new ZooKeeperCentre({ servers: zk.servers, path: key, sessionTimeoutMs: 2_000, callTimeoutMs: 10_000 });
    const reader = new ZooKeeperCentre({ servers: zk.servers, path: key, sessionTimeoutMs: 2_000 });
    const changes = new Inbox<CentreDocument | null>();
    const states = new Inbox<CentreState>();
    try {
      await writer.write('v: 1\n');
      const watch = await reader.watch(await reader.read(), { change: (d) => changes.push(d), state: (s) => states.push(s) });
      await zk.kill();
      expect(await states.next(15_000, 'a state')).toBe('disconnected');
      await zk.restart();
      await writer.write('v: after\n');
      expect((await changes.next(20_000, 'a change'))?.text).toBe('v: after\n');
      await watch.close();
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  }, 60_000);

  it('survives an expired session: a new session re-reads and reports what changed meanwhile', async () => {
    const key = freshKey();
    const writer = new ZooKeeperCentre({ servers: zk.servers, path: key, sessionTimeoutMs: 2_000, callTimeoutMs: 10_000 });
    const reader = new ZooKeeperCentre({ servers: zk.servers, path: key, sessionTimeoutMs: 1_500 });
    const changes = new Inbox<CentreDocument | null>();
    const states = new Inbox<CentreState>();
    try {
      await writer.write('v: 1\n');
      const watch = await reader.watch(await reader.read(), { change: (d) => changes.push(d), state: (s) => states.push(s) });
      await zk.kill();
      expect(await states.next(15_000, 'a state')).toBe('disconnected');
      // Down for longer than the reader's session timeout: the server expires the session.
      await new Promise((r) => setTimeout(r, 4_000));
      await zk.restart();
      await writer.write('v: after expiry\n');
      expect((await changes.next(30_000, 'a change'))?.text).toBe('v: after expiry\n');
      await watch.close();
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  }, 60_000);

  it('fails a read with a CentreError naming the centre when nothing listens', async () => {
    const centre = new ZooKeeperCentre({ servers: '127.0.0.1:9', path: '/x', callTimeoutMs: 500 });
    try {
      const err = await centre.read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CentreError);
      expect((err as CentreError).message).toContain('zookeeper 127.0.0.1:9 node /x');
    } finally {
      await centre.close();
    }
  });
});
