import { consoleLoginFailuresKey, type RedisClient } from '../redis/index.js';
import { sha256Hex } from './auth.js';

/** Failed password logins allowed per name, and per client address, within one window. */
export const LOGIN_FAILURES_PER_NAME = 10;
export const LOGIN_FAILURES_PER_ADDRESS = 50;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;

/**
 * Slows password guessing: failed logins are counted per name and per client address in Redis
 * (so every process behind a load balancer counts the same attempts), in a fixed window that
 * starts with the first failure. Once a subject reaches its allowance, logins for it are refused
 * before any password is checked until the window ends; a successful login clears its name's count.
 * The address allowance is higher because users behind one proxy or on loopback share it.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Milliseconds until `name` from `address` may try again, or undefined when it may now. */
  async retryAfterMs(name: string, address: string): Promise<number | undefined> {
    const subjects = this.subjects(name, address);
    const replies = await Promise.all(
      subjects.map(async ({ key, max }) => {
        const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]);
        return Number(count ?? 0) >= max ? Math.max(ttl, 1_000) : undefined;
      }),
    );
    const waits = replies.filter((ms): ms is number => ms !== undefined);
    return waits.length === 0 ? undefined : Math.max(...waits);
  }

  async failed(name: string, address: string): Promise<void> {
    await Promise.all(
      this.subjects(name, address).map(({ key }) =>
        this.redis.multi().incr(key).pexpire(key, LOGIN_FAILURE_WINDOW_MS, 'NX').exec(),
      ),
    );
  }

  async succeeded(name: string): Promise<void> {
    await this.redis.del(this.key(`name:${name}`));
  }

  private subjects(name: string, address: string): { key: string; max: number }[] {
    return [
      { key: this.key(`name:${name}`), max: LOGIN_FAILURES_PER_NAME },
      { key: this.key(`address:${address}`), max: LOGIN_FAILURES_PER_ADDRESS },
    ];
  }

  private key(subject: string): string {
    return consoleLoginFailuresKey(this.prefix, sha256Hex(subject));
  }
}
