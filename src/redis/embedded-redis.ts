import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { AirlockError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export interface EmbeddedRedis {
  url: string;
  /** True when this process started the server (and so stops it on exit). */
  owned: boolean;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis), ' +
  'or set "redis": {"url": "redis://host:6379"} in airlock.config.json to use an existing Redis.';

/**
 * The local redis-server behind the embedded default: data and a unix socket under `dataDir`,
 * persistence on (append-only file) so counters and held calls survive restarts. A server
 * already listening on that socket (another Airlock process) is shared rather than duplicated.
 */
export async function startEmbeddedRedis(dataDir: string, log: Logger): Promise<EmbeddedRedis> {
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'redis.sock');
  const url = `unix://${socket}`;
  if (existsSync(socket) && (await answersPing(socket))) {
    log.info({ socket }, 'using the embedded redis-server another Airlock process started');
    return { url, owned: false, stop: async () => {} };
  }

  const child = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--appendonly', 'yes',
      '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const spawnFailure = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new AirlockError('redis_binary_missing', INSTALL_HINT) : error),
    );
    child.once('exit', (code) => reject(new AirlockError('redis_unavailable', `redis-server exited at start (code ${code}); see its log in ${dir}`)));
  });
  spawnFailure.catch(() => {});
  await Promise.race([waitForPing(socket, 10_000), spawnFailure]);
  child.removeAllListeners('exit');
  log.info({ socket, dir }, 'started embedded redis-server');
  return { url, owned: true, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function answersPing(socket: string): Promise<boolean> {
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

async function waitForPing(socket: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await answersPing(socket))) {
    if (Date.now() > deadline) throw new AirlockError('redis_unavailable', `redis-server did not answer on ${socket} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
