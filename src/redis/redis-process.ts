import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { AirlockError } from '../shared/errors.js';

export interface RedisProcess {
  url: string;
  socket: string;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis), ' +
  'or set "redis": {"url": "redis://host:6379"} in airlock.config.json to use an existing Redis.';

/**
 * A redis-server child on a unix socket in `dir` (no TCP port, so nothing to clash with and
 * nothing on the network). `persistent` turns on the append-only file: what the embedded default
 * wants; tests and benches run without it.
 */
export async function spawnRedisServer(options: { dir: string; persistent: boolean; extraArgs?: string[] }): Promise<RedisProcess> {
  const socket = join(options.dir, 'redis.sock');
  const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', options.dir, '--save', '',
      '--maxmemory-policy', 'noeviction', ...persistence, ...(options.extraArgs ?? [])],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new AirlockError('redis_binary_missing', INSTALL_HINT) : error));
    child.once('exit', (code) => reject(new AirlockError('redis_unavailable', `redis-server exited at start (code ${code}) in ${options.dir}`)));
  });
  failed.catch(() => {});
  await Promise.race([waitForPing(socket, 10_000), failed]);
  child.removeAllListeners('exit');
  return { url: `unix://${socket}`, socket, dir: options.dir, child, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function answersPing(socket: string): Promise<boolean> {
  const client = new Redis({ path: socket, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function waitForPing(socket: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await answersPing(socket))) {
    if (Date.now() > deadline) throw new AirlockError('redis_unavailable', `redis-server did not answer on ${socket} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
