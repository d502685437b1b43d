import { defineConfig } from 'vitest/config';

// Tests import the packages' TypeScript sources through the `gateworker-source` export condition,
// so they run without a build. End-to-end tests spawn the compiled CLI (`npm test` builds first).
export default defineConfig({
  resolve: { conditions: ['gateworker-source', 'import', 'node', 'default'] },
  ssr: { resolve: { conditions: ['gateworker-source', 'import', 'node', 'default'], externalConditions: ['gateworker-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
