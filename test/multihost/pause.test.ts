import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MultiHostCluster } from './cluster.js';
import { LIBFAKETIME, SteppableClock } from './hosts.js';
import { WINDOW, SCENARIO_TIMEOUT_MS, SKIP_REASON, assertNoNamespacesLeft, expectNothingLost, runWithFault, sleep } from './scenario.js';

// Issue 8, time: a gateway frozen (SIGSTOP … SIGCONT) reads what waits in its sockets before it
// judges a link silent, and commands for its clients are not lost; a wall-clock step on a gateway
// (libfaketime, wall clock only: monotonic time untouched, as an NTP step) changes nothing.

const NO_FAKETIME = existsSync(LIBFAKETIME) ? null : `libfaketime is not installed (${LIBFAKETIME}; apt-get install libfaketime)`;
if (NO_FAKETIME !== null && SKIP_REASON === null) console.warn(`[multihost] clock-step scenarios skipped: ${NO_FAKETIME}`);

/** Gateway log lines that say it closed or lost a link (register-client.ts, link errors). */
const GATEWAY_LINK_DROP = /closing the link to|link .* lost|heartbeat/i;

describe.skipIf(SKIP_REASON !== null)('multihost: frozen host and clock steps', () => {
  afterAll(() => assertNoNamespacesLeft());

  // Workers judge the frozen gateway's links dead and the registers stop listing it: its commands
  // are kept (the peer lingers for commandBuffer.maxAge) and go through once it is back.
  it(
    'a gateway frozen for the window, then resumed: nothing lost',
    async () => {
      const cluster = await MultiHostCluster.start();
      try {
        const g1 = cluster.gateways[0]!;
        const outcome = await runWithFault('gateway frozen', cluster, async () => {
          g1.freeze();
          await sleep(WINDOW.freeze);
          g1.thaw();
          return { frozenMs: WINDOW.freeze };
        });
        // Its clients' replies wait in the frozen gateway; workers may judge its links dead and
        // redeliver (at-least-once), so duplicates are allowed — losses are not.
        expectNothingLost(outcome, { duplicatesAllowed: true });
      } finally {
        await cluster.stop();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  for (const step of [20, -60]) {
    it.skipIf(NO_FAKETIME !== null)(
      `a gateway's wall clock stepped ${step > 0 ? '+' : ''}${step} s: no false link drop, nothing lost`,
      async () => {
        let clock: SteppableClock | null = null;
        const cluster = await MultiHostCluster.start({
          gatewayEnv: (i, dir) => {
            if (i !== 0) return undefined;
            clock = new SteppableClock(dir, 'g1');
            return clock.env();
          },
        });
        try {
          const g1 = cluster.gateways[0]!;
          let gatewayDrops = 0;
          const outcome = await runWithFault(`gateway clock ${step > 0 ? '+' : ''}${step} s`, cluster, async () => {
            const at = performance.now();
            clock!.set(step);
            await sleep(WINDOW.clockHold);
            // Links the stepped gateway itself gave up (to registers or workers): all were healthy.
            gatewayDrops = g1.count(GATEWAY_LINK_DROP, at);
            return { stepS: step, heldMs: WINDOW.clockHold, gatewayDrops };
          });
          expectNothingLost(outcome, { duplicatesAllowed: false, linksKept: true });
          expect(gatewayDrops).toBe(0);
        } finally {
          await cluster.stop();
        }
      },
      SCENARIO_TIMEOUT_MS,
    );
  }
});
