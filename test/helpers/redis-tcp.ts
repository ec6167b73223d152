import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * redis-server processes on loopback TCP ports, for what a unix socket cannot show (a cluster's
 * nodes and Sentinel name each other by host and port). Each logs to `<dir>/redis-<port>.log`.
 */
export function spawnTcpRedis(dir: string, port: number, args: string[] = []): ChildProcess {
  // prettier-ignore
  return spawn('redis-server', [
    ...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    '--save', '', '--appendonly', 'no', '--logfile', `redis-${port}.log`,
  ], { stdio: 'ignore' });
}

/** Ports the kernel hands out now, all held at once so none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** One command on a fresh connection: its reply as text, or undefined when the server does not answer. */
export async function ask(port: number, ...command: [string, ...string[]]): Promise<string | undefined> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const reply = await client.call(...command);
    return Array.isArray(reply) ? reply.flat(Infinity).join(' ') : String(reply);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** Polls `check` on a deadline; the error names `what`, with the log of `port` when given. */
export async function until(
  check: () => Promise<boolean>,
  deadline: number,
  what: string,
  log?: { dir: string; port: number },
): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) {
      let text = '';
      try {
        if (log !== undefined) text = `\n${readFileSync(join(log.dir, `redis-${log.port}.log`), 'utf8')}`;
      } catch {
        // no log yet
      }
      throw new Error(`timed out waiting for ${what}${text}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
