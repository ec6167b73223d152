import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeDir } from './redis-server.js';
import { ask, freePorts, spawnTcpRedis, stopChild, until } from './redis-tcp.js';

/** A real Redis Cluster of `masters` masters (no replicas) on loopback, in a temp dir. */
export interface TestCluster {
  /** Every master's `redis://127.0.0.1:<port>` (the seed nodes a config names). */
  nodes: string[];
  dir: string;
  /** Stops every node and removes the dir. */
  stop(): Promise<void>;
}

const START_MS = 20_000;

/**
 * Starts `masters` redis-servers in cluster mode on free loopback ports (client and cluster bus),
 * without persistence; joins them with `redis-cli --cluster create`; resolves once every node
 * reports `cluster_state:ok` and knows every other.
 */
export async function startTestCluster(masters = 3): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-cluster-'));
  const ports = await freePorts(2 * masters);
  const nodes = Array.from({ length: masters }, (_, i) => ({ port: ports[i]!, bus: ports[masters + i]! }));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    removeDir(dir);
  };
  try {
    for (const { port, bus } of nodes) {
      // prettier-ignore
      children.push(spawnTcpRedis(dir, port, [
        '--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '5000', '--maxmemory-policy', 'noeviction',
      ]));
    }
    const deadline = Date.now() + START_MS;
    await Promise.all(
      nodes.map(({ port }) =>
        until(async () => (await ask(port, 'PING')) === 'PONG', deadline, `node ${port} to answer`, { dir, port }),
      ),
    );
    const addresses = nodes.map(({ port }) => `127.0.0.1:${port}`);
    await promisify(execFile)(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: START_MS,
      },
    );
    await Promise.all(
      nodes.map(({ port }) =>
        until(
          async () => {
            const info = (await ask(port, 'CLUSTER', 'INFO')) ?? '';
            return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`);
          },
          deadline,
          `node ${port} to report cluster_state:ok`,
          { dir, port },
        ),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: nodes.map(({ port }) => `redis://127.0.0.1:${port}`), dir, stop };
}
