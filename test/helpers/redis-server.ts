import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A throw-away redis-server on a unix socket in a temp dir: no port clashes, nothing on the network. */
export interface TestRedis {
  socketPath: string;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startTestRedis(extraArgs: string[] = [], dir = mkdtempSync(join(tmpdir(), 'airlock-redis-'))): Promise<TestRedis> {
  const socketPath = join(dir, 'redis.sock');
  const child = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socketPath, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no',
      '--maxmemory-policy', 'noeviction', '--dir', dir, ...extraArgs],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitForPing(socketPath, 10_000);
  return {
    socketPath,
    dir,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

export async function waitForPing(socketPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis({ path: socketPath, retryStrategy: () => null, lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server on ${socketPath} did not answer PING within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
