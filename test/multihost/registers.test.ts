import { afterAll, describe, it } from 'vitest';
import { MultiHostCluster } from './cluster.js';
import {
  WINDOW,
  SCENARIO_TIMEOUT_MS,
  SKIP_REASON,
  assertNoNamespacesLeft,
  expectNothingLost,
  runWithFault,
  sleep,
  createdSuffixes,
} from './scenario.js';
import { StartHost } from './start-host.js';

// Issue 8, "both registers down": discovery is advisory, links are the truth. With every register
// gone, workers keep their gateway links and nothing is lost; nobody exits.

describe.skipIf(SKIP_REASON !== null)('multihost: registers down', () => {
  afterAll(() => assertNoNamespacesLeft());

  it(
    'both registers killed for the window (roles on separate hosts): nothing lost, no exit',
    async () => {
      const cluster = await MultiHostCluster.start();
      try {
        const killed = [...cluster.registers];
        const outcome = await runWithFault(
          'registers down (roles)',
          cluster,
          async () => {
            for (const r of killed) r.destroy();
            await Promise.all(killed.map((r) => r.exited));
            await sleep(WINDOW.registersDown);
            await Promise.all(killed.map((_, i) => cluster.startRegister(i)));
            return { downMs: WINDOW.registersDown };
          },
          { expectedGone: killed },
        );
        expectNothingLost(outcome, { duplicatesAllowed: false, linksKept: true });
      } finally {
        await cluster.stop();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'the register of `gateworker start` SIGKILLed: nothing lost, no link rebuilt',
    async () => {
      const host = await StartHost.start({ gateways: 2, workers: 2 });
      createdSuffixes.push(host.net.suffix);
      try {
        let since = 0;
        const outcome = await runWithFault('register killed (start)', host, async () => {
          since = performance.now();
          process.kill(host.childPid('register'), 'SIGKILL');
          await host.supervisor.waitForLog(
            (l) => typeof l.msg === 'string' && l.msg.startsWith('register') && l.msg.includes('restarted'),
            30_000,
            since,
          );
          await sleep(WINDOW.registersDown);
          return {};
        });
        expectNothingLost(outcome, { duplicatesAllowed: false, linksKept: true });
      } finally {
        await host.stop();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );
});
