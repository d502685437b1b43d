import { afterAll, describe, it } from 'vitest';
import { MultiHostCluster } from './cluster.js';
import { LINK_DROP } from './hosts.js';
import { WINDOW, SCENARIO_TIMEOUT_MS, SKIP_REASON, assertNoNamespacesLeft, expectNothingLost, runWithFault, sleep } from './scenario.js';

// Issue 8, partitions (nft drop rules: silent, no reset): a gateway cut from every register keeps
// its healthy worker links; a worker cut from one gateway loses no command it sent to that
// gateway's clients (they travel on an acknowledged stream and are sent again on the new link).

describe.skipIf(SKIP_REASON !== null)('multihost: partitions', () => {
  afterAll(() => assertNoNamespacesLeft());

  it(
    'a gateway cut from both registers: its links stay, nothing lost',
    async () => {
      const cluster = await MultiHostCluster.start();
      try {
        const outcome = await runWithFault('gateway cut from registers', cluster, async () => {
          const cut = cluster.net.cut('g1', ['r1', 'r2']);
          await sleep(WINDOW.gatewayCut);
          cluster.net.heal(cut);
          return { cutMs: WINDOW.gatewayCut };
        });
        expectNothingLost(outcome, { duplicatesAllowed: false, linksKept: true });
      } finally {
        await cluster.stop();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  for (const oneWay of [false, true]) {
    it(
      `a worker cut from a gateway (${oneWay ? 'one way: worker → gateway dropped' : 'both directions'}): nothing lost`,
      async () => {
        const cluster = await MultiHostCluster.start();
        try {
          const w1 = cluster.workers[0]!;
          const outcome = await runWithFault(`worker cut from gateway (${oneWay ? 'one way' : 'both ways'})`, cluster, async () => {
            const at = performance.now();
            const cut = cluster.net.cut('w1', ['g1'], { oneWay });
            await sleep(WINDOW.workerCut);
            cluster.net.heal(cut);
            const detected = w1.logs.find((s) => s.at >= at && typeof s.line.msg === 'string' && LINK_DROP.test(s.line.msg));
            return { cutMs: WINDOW.workerCut, workerDetectedMs: detected === undefined ? 'never' : Math.round(detected.at - at) };
          });
          // The link really died: the cut worker's unacknowledged events are redelivered (at-least-once).
          expectNothingLost(outcome, { duplicatesAllowed: true });
        } finally {
          await cluster.stop();
        }
      },
      SCENARIO_TIMEOUT_MS,
    );
  }
});
