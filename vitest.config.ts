import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'standin/test/**/*.test.ts'],
    globalSetup: ['test/helpers/redis-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // CI reads the counts from the JSON report; people read the default one.
    reporters: ['default', ['json', { outputFile: '.airlock/test-results.json' }]],
  },
});
