import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { AirlockError } from '../shared/index.js';

export interface RedisProcess {
  url: string;
  socket: string;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface SpawnRedisOptions {
  dir: string;
  /** The append-only file: what the embedded default wants; tests and benches run without it. */
  persistent: boolean;
  /**
   * Not our child for life: its own process group (a Ctrl-C or a client killing our group does
   * not reach it), no stdio of ours (its log goes to `<dir>/redis.log`), and we do not wait for it.
   */
  detached?: boolean;
  extraArgs?: string[];
}

const INSTALL_HINT =
  'redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis), ' +
  'or set "redis": {"url": "redis://host:6379"} in airlock.config.json to use an existing Redis.';

/** Unix socket paths are limited to 104–108 bytes depending on the OS. */
const MAX_SOCKET_PATH = 103;

/**
 * A redis-server on a unix socket in `dir` (no TCP port, so nothing to clash with and nothing on
 * the network).
 */
export async function spawnRedisServer(options: SpawnRedisOptions): Promise<RedisProcess> {
  const socket = join(options.dir, 'redis.sock');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new AirlockError(
      'data_dir_unusable',
      `the Redis socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes, the limit for unix sockets: choose a shorter --data-dir or AIRLOCK_HOME`,
    );
  }
  const persistence = options.persistent
    ? ['--appendonly', 'yes', '--appendfsync', 'everysec']
    : ['--appendonly', 'no'];
  const logging = options.detached ? ['--logfile', join(options.dir, 'redis.log'), '--loglevel', 'warning'] : [];
  const child = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--unixsocket',
      socket,
      '--unixsocketperm',
      '700',
      '--dir',
      options.dir,
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      ...persistence,
      ...logging,
      ...(options.extraArgs ?? []),
    ],
    options.detached ? { detached: true, stdio: 'ignore' } : { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new AirlockError('redis_binary_missing', INSTALL_HINT) : error),
    );
    child.once('exit', (code) =>
      reject(
        new AirlockError(
          'redis_unavailable',
          `redis-server exited at start (code ${code}) in ${options.dir}${options.detached ? ` (see ${join(options.dir, 'redis.log')})` : ''}`,
        ),
      ),
    );
  });
  failed.catch(() => {});
  try {
    await Promise.race([waitForPing(socket, 10_000), failed]);
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
  child.removeAllListeners('exit');
  if (options.detached) child.unref();
  return { url: `unix://${socket}`, socket, dir: options.dir, child, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function answersPing(socket: string): Promise<boolean> {
  const client = new Redis({
    path: socket,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
  });
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
    if (Date.now() > deadline)
      throw new AirlockError('redis_unavailable', `redis-server did not answer on ${socket} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
