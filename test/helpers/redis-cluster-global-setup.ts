import type { TestProject } from 'vitest/node';
import { startTestCluster } from './redis-cluster.js';
import { isolateTestHome } from './redis-global-setup.js';

/**
 * The `cluster` project's Redis: a real three-master Redis Cluster on loopback for the whole run.
 * It provides only `redisTarget`, so a file that still reads `redisPath` fails instead of quietly
 * testing the single server.
 */
export default async function setup(project: TestProject) {
  const removeHome = isolateTestHome();
  const cluster = await startTestCluster(3);
  project.provide('redisTarget', { cluster: { nodes: cluster.nodes } });
  return async () => {
    await cluster.stop();
    removeHome();
  };
}
