import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Run a second time, unchanged, on a real three-master Redis Cluster on loopback: the limiter,
 * the approvals and the audit stream (they get their Redis from test/helpers/test-redis.ts), and
 * the cluster-only end-to-end checks.
 */
const ON_THE_CLUSTER = [
  'test/integration/limits.test.ts',
  'test/integration/approvals-engine.test.ts',
  'test/integration/approvals-hold.test.ts',
  'test/integration/audit-stream.test.ts',
  'test/integration/redis-cluster.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // CI reads the counts from the JSON report (both projects'); people read the default one.
    reporters: ['default', ['json', { outputFile: '.airlock/test-results.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'standin/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/redis-cluster.test.ts'],
          globalSetup: ['test/helpers/redis-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'cluster', include: ON_THE_CLUSTER, globalSetup: ['test/helpers/redis-cluster-global-setup.ts'] },
      },
    ],
  },
});
