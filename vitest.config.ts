import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources, so they never depend on a stale build.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@backlot\/core$/, replacement: here('./packages/core/src/index.ts') },
      { find: /^@backlot\/adapters\/(.*)$/, replacement: here('./packages/adapters/src/$1/index.ts') },
      { find: /^@backlot\/workflows\/(.*)$/, replacement: here('./packages/workflows/src/$1/index.ts') },
      { find: /^@backlot\/server$/, replacement: here('./apps/server/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/cli/src/**/*.test.ts', 'apps/server/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // one temporary folder per run, removed at its end (test/support/temp-root.ts)
    globalSetup: ['test/support/temp-root.ts'],
    pool: 'forks',
    maxWorkers: 2,
  },
});
