import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run bench:smoke`: the benchmark suite once at tiny sizes (test/bench-smoke), so the bench
// cannot rot. Kept out of `npm test` (it was a third of the suite's time and measures nothing a
// test may assert); `.ci/run` runs it right after `npm test`. Same resolution and pool as the suite.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    projects: [{ extends: true, test: { name: 'bench-smoke', include: ['test/bench-smoke/**/*.smoke.ts'] } }],
  },
});
