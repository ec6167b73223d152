import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describeError, type Logger, isRunning, withLock } from '../shared/index.js';
import { answersPing, spawnRedisServer } from './redis-process.js';

/**
 * The embedded default's redis-server, shared by every Airlock process of one data directory
 * (one per stdio agent, plus CLI commands). README.md "Embedded Redis" argues the design:
 *
 * - It runs detached (its own process group, no stdio of ours), so no single process owns it
 *   and a crashed process takes nothing down with it.
 * - The reference count is Redis's own client list: each member holds one connection named
 *   `airlock-presence:…`. The kernel closes a dead process's socket, so the count is right even
 *   after kill -9, with no bookkeeping to go stale.
 * - Joining (start if needed, connect the presence) and leaving (count the others, SHUTDOWN when
 *   none) happen under one lock file, so a process joining never races one stopping it.
 * - If the server dies under running members, the first of them to notice starts it again on
 *   the same data (append-only file), and everyone's clients reconnect.
 */
export interface EmbeddedRedis {
  url: string;
  /** Leaves; the last member to leave stops the server. Never throws. */
  release(): Promise<void>;
}

const PRESENCE = 'airlock-presence';
const LOCK_WAIT_MS = 10_000;
const STOP_WAIT_MS = 3_000;

function embeddedRedisDir(dataDir: string): string {
  return join(resolve(dataDir), 'redis');
}

export function embeddedRedisSocket(dataDir: string): string {
  return join(embeddedRedisDir(dataDir), 'redis.sock');
}

/** Whether the embedded server is up (for readers that must never start one just to look). */
export function embeddedRedisRunning(dataDir: string): Promise<boolean> {
  return answersPing(embeddedRedisSocket(dataDir));
}

/** Joins the data directory's embedded Redis, starting it when no one runs it. */
export async function joinEmbeddedRedis(dataDir: string, log: Logger): Promise<EmbeddedRedis> {
  const member = new Member(embeddedRedisDir(dataDir), log);
  await member.join();
  return { url: `unix://${member.socket}`, release: () => member.leave() };
}

class Member {
  readonly socket: string;
  private readonly lockFile: string;
  private readonly name = `${PRESENCE}:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private presence: Redis | undefined;
  private leaving = false;
  private reviving: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    this.socket = join(dir, 'redis.sock');
    this.lockFile = join(dir, 'membership.lock');
  }

  async join(): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await withLock(
      this.lockFile,
      async () => {
        const started = await this.startIfDown();
        this.presence = await this.connectPresence();
        this.log.info(
          { socket: this.socket, started },
          started
            ? 'started the embedded redis-server'
            : 'using the embedded redis-server another Airlock process started',
        );
      },
      { timeoutMs: LOCK_WAIT_MS },
    );
  }

  async leave(): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    const presence = this.presence;
    if (presence === undefined) return;
    try {
      await withLock(
        this.lockFile,
        async () => {
          const others = await this.otherMembers(presence);
          if (others === 0) await this.stopServer(presence);
          else this.log.info({ others }, 'leaving the embedded redis-server running for the other Airlock processes');
        },
        { timeoutMs: STOP_WAIT_MS },
      );
    } catch (error) {
      this.log.warn(
        { err: describeError(error) },
        'could not tell whether other Airlock processes use the embedded redis-server; leaving it running',
      );
    } finally {
      presence.disconnect();
    }
  }

  /** True when this call started the server. */
  private async startIfDown(): Promise<boolean> {
    if (await answersPing(this.socket)) return false;
    await spawnRedisServer({ dir: this.dir, persistent: true, detached: true });
    return true;
  }

  private async connectPresence(): Promise<Redis> {
    const client = new Redis({
      path: this.socket,
      connectionName: this.name,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      lazyConnect: true,
    });
    client.on('error', () => {});
    // The server went away under us (killed, crashed): bring it back for everyone.
    client.on('close', () => {
      if (!this.leaving) this.revive();
    });
    await client.connect();
    return client;
  }

  private revive(): void {
    this.reviving ??= (async () => {
      for (let attempt = 0; !this.leaving; attempt++) {
        try {
          const started = await withLock(this.lockFile, () => this.startIfDown(), { timeoutMs: LOCK_WAIT_MS });
          if (started)
            this.log.warn({ socket: this.socket }, 'the embedded redis-server had stopped; started it again');
          return;
        } catch (error) {
          this.log.error(
            { err: describeError(error), attempt },
            'cannot restart the embedded redis-server; calls that need Redis fail closed',
          );
          await sleep(Math.min(250 * 2 ** attempt, 10_000));
        }
      }
    })().finally(() => (this.reviving = undefined));
  }

  private async otherMembers(presence: Redis): Promise<number> {
    const list = (await presence.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
    return list
      .split('\n')
      .map((line) => /(?:^| )name=(\S*)/u.exec(line)?.[1] ?? '')
      .filter((name) => name.startsWith(`${PRESENCE}:`) && name !== this.name).length;
  }

  /** SHUTDOWN (flushes the append-only file); then make sure the process is gone. */
  private async stopServer(presence: Redis): Promise<void> {
    const info = (await presence.info('server')) as string;
    const pid = Number(/process_id:(\d+)/u.exec(info)?.[1]);
    await presence.call('SHUTDOWN').catch(() => {}); // the connection drops when it works
    const deadline = Date.now() + STOP_WAIT_MS;
    while (pid > 0 && isRunning(pid) && Date.now() < deadline) await sleep(10);
    if (pid > 0 && isRunning(pid)) {
      this.log.warn({ pid }, 'the embedded redis-server did not stop on SHUTDOWN; killing it');
      process.kill(pid, 'SIGKILL');
    }
    this.log.info({ socket: this.socket }, 'stopped the embedded redis-server (last Airlock process to leave)');
  }
}
