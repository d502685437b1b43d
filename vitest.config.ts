import { defineConfig } from 'vitest/config';

// Tests import the packages' TypeScript sources through the `gateworker-source` export condition,
// so they run without a build. End-to-end tests spawn the compiled CLI (`npm test` builds first).
//
// Two projects: `unit` (every package and end-to-end test, files in parallel) and `multihost`
// (test/multihost: clusters spread over Linux network namespaces, skipped unless root). The
// multi-host files run one at a time: each builds hosts, partitions and clock steps whose timing
// must not be starved by another such file on a small machine.
export default defineConfig({
  resolve: { conditions: ['gateworker-source', 'import', 'node', 'default'] },
  ssr: { resolve: { conditions: ['gateworker-source', 'import', 'node', 'default'], externalConditions: ['gateworker-source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/multihost/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'multihost',
          include: ['test/multihost/**/*.test.ts'],
          fileParallelism: false,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
