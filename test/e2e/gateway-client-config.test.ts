import { EtcdCentre, type AppConfigChange } from '@gateworker/centre';
import { GatewayClient } from '@gateworker/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { Inbox } from '../helpers/inbox.js';

let etcd: EtcdServer;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

describe('GatewayClient({ config }) — the app section for programs outside the cluster (real etcd)', () => {
  it('reads app on ready(), follows changes once each, keeps the last good one on a bad document', async () => {
    const key = '/gw/client-config';
    const writer = new EtcdCentre({ endpoints: [etcd.endpoint], key });
    await writer.write('app:\n  greeting: hello\n  limit: 5\n');
    const changes = new Inbox<AppConfigChange>();
    const client = new GatewayClient({
      gateways: [],
      secret: '',
      config: { etcd: { endpoints: [etcd.endpoint], key } },
      onConfigChange: (c) => changes.push(c),
    });
    try {
      await client.ready();
      expect(client.config).toEqual({ greeting: 'hello', limit: 5 });
      expect(Object.isFrozen(client.config)).toBe(true);
      await changes.next(5_000, 'the first read'); // from {} to the document

      await writer.write('app:\n  greeting: bonjour\n  limit: 5\n');
      const change = await changes.next(10_000, 'a change');
      expect(change.changed).toEqual(['app.greeting']);
      expect(change.previous['greeting']).toBe('hello');
      expect(client.config['greeting']).toBe('bonjour');

      await writer.write('app: [not, a, mapping]\n');
      await writer.write('app:\n  greeting: again\n  limit: 5\n');
      expect((await changes.next(10_000, 'the next good change')).current['greeting']).toBe('again');
      expect(changes.size).toBe(0); // the bad document produced no change
    } finally {
      await client.close();
      await writer.close();
    }
  });
});
