import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentreError, EtcdCentre, type CentreDocument, type CentreState } from '../src/index.js';
import { startEtcd, type EtcdServer } from '../../../test/helpers/etcd-server.js';
import { Inbox } from '../../../test/helpers/clients.js';

let etcd: EtcdServer;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

let keys = 0;
const freshKey = () => `/gw-test/${process.pid}/${++keys}/config`;

describe('EtcdCentre (real etcd)', () => {
  it('reads null for a missing key, then what was written, with its revision', async () => {
    const centre = new EtcdCentre({ endpoints: [etcd.endpoint], key: freshKey() });
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
    const writer = new EtcdCentre({ endpoints: [etcd.endpoint], key });
    const reader = new EtcdCentre({ endpoints: [etcd.endpoint], key });
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
    const writer = new EtcdCentre({ endpoints: [etcd.endpoint], key });
    const reader = new EtcdCentre({ endpoints: [etcd.endpoint], key });
    const changes = new Inbox<CentreDocument | null>();
    const states = new Inbox<CentreState>();
    try {
      await writer.write('v: 1\n');
      const watch = await reader.watch(await reader.read(), { change: (d) => changes.push(d), state: (s) => states.push(s) });
      await etcd.kill();
      expect(await states.next(15_000, 'a state')).toBe('disconnected');
      await etcd.restart();
      await writer.write('v: after\n');
      expect((await changes.next(20_000, 'a change'))?.text).toBe('v: after\n');
      await watch.close();
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  }, 60_000);

  it('fails a read with a CentreError naming the centre when nothing listens', async () => {
    const centre = new EtcdCentre({ endpoints: ['http://127.0.0.1:9'], key: '/x', callTimeoutMs: 500 });
    try {
      const err = await centre.read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CentreError);
      expect((err as CentreError).message).toContain('etcd http://127.0.0.1:9 key /x');
    } finally {
      await centre.close();
    }
  });
});
