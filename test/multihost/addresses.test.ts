import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MultiHostCluster, READY } from './cluster.js';
import { HostProcess, writeConfig } from './hosts.js';
import { Net } from './net.js';
import { SCENARIO_TIMEOUT_MS, SKIP_REASON, assertNoNamespacesLeft, createdSuffixes, expectNothingLost, runWithFault, sleep } from './scenario.js';

// Issue 8, addresses: an unspecified bind without `advertise` off loopback is refused at config
// time; two gateways announcing one address never lead to a message reaching a client it was not
// addressed to (the handshake names the gateway; a worker that reached another one refuses it);
// IPv6 addresses (`advertise: "[fd…]"`) work end to end on IPv6-only hosts.

describe.skipIf(SKIP_REASON !== null)('multihost: addresses', () => {
  afterAll(() => assertNoNamespacesLeft());

  it('a gateway binding 0.0.0.0 without advertise, off loopback, exits 2 naming gateway.advertise', async () => {
    const net = Net.create(['g1']);
    createdSuffixes.push(net.suffix);
    const dir = mkdtempSync(join(tmpdir(), 'gw-multihost-addr-'));
    let gateway: HostProcess | null = null;
    try {
      const file = writeConfig(dir, 'g1', {
        secret: 'multihost-secret-0123456789',
        gateway: { listen: [{ url: 'ws://0.0.0.0:7272/' }], internal: '0.0.0.0:2900', registers: ['10.255.255.1:1236'] },
      });
      gateway = HostProcess.spawn(net.host('g1'), 'g1', ['gateway', '-c', file]);
      const started = gateway
        .waitForLog((l) => typeof l.msg === 'string' && READY.gateway.test(l.msg), 15_000)
        .then(
          () => 'started',
          () => 'not started',
        );
      const result = await Promise.race([gateway.exited.then((e) => `exit ${e.code}`), started]);
      expect(result).toBe('exit 2');
      expect(gateway.stderr).toMatch(/gateway\.advertise/);
    } finally {
      await gateway?.stop(5_000);
      net.destroySync();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'two gateways announcing one address (workers beside them): no message misdelivered',
    async () => {
      // As in the issue: each gateway binds every address and announces 127.0.0.1:2900, each
      // worker runs on a gateway's host, so it reaches its own gateway under both gateway ids.
      const cluster = await MultiHostCluster.start({
        registers: 1,
        gatewayConfig: () => ({ internal: '0.0.0.0:2900', advertise: '127.0.0.1' }),
        workerHost: (i) => `g${i + 1}`,
      });
      try {
        const outcome = await runWithFault('two gateways, one address', cluster, async () => {
          await sleep(5_000);
        });
        // Cross-gateway sends cannot arrive here (neither worker can reach the other gateway):
        // the point is that none reaches a client it was not addressed to.
        expect(outcome.figures.misdelivered).toBe(0);
        expect(outcome.figures.sent).toBeGreaterThan(0);
        // The situation really arose: a worker reached the other gateway and refused the link
        // (GW_ERR_WRONG_GATEWAY, "dialled gateway X … but reached gateway Y").
        const refused = cluster.workers.some((w) =>
          w.logs.some((s) => s.line.code === 'GW_ERR_WRONG_GATEWAY' || /reached gateway/.test(String(s.line.msg))),
        );
        expect(refused).toBe(true);
      } finally {
        await cluster.stop();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'IPv6-only hosts with advertise "[fd…]": every link up, nothing lost',
    async () => {
      const cluster = await MultiHostCluster.start({ registers: 1, families: ['ipv6'] });
      try {
        const outcome = await runWithFault('IPv6 only', cluster, async () => {
          await sleep(5_000);
        });
        expectNothingLost(outcome, { duplicatesAllowed: false, linksKept: true });
      } finally {
        await cluster.stop();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );
});
