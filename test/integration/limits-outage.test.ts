import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { LimitsUnavailableError, RateLimiter } from '../../src/limits/index.js';
import { makeLimit, requestClient } from '../helpers/limits.js';
import { waitFor } from '../helpers/gateway.js';
import { removeDir, startTestRedis, type TestRedis } from '../helpers/redis-server.js';

const who = { grant: 'g', session: 's' };
const limit = makeLimit('outage', 60_000, 1_000);
let server: TestRedis | undefined;
let client: Redis | undefined;

afterEach(async () => {
  client?.disconnect();
  if (server) {
    server.child.kill('SIGCONT');
    await server.stop();
    removeDir(server.dir);
  }
  server = client = undefined;
});

async function timed<T>(work: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

/** Polls until a reservation is admitted; only "Redis unavailable" counts as not yet. */
async function eventuallyAdmitted(limiter: RateLimiter, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      try {
        return (await limiter.reserve([limit], who)).ok;
      } catch (error) {
        if (!(error instanceof LimitsUnavailableError)) throw error;
        return false;
      }
    },
    timeoutMs,
    'a reservation to be admitted again',
  );
}

describe('Redis down or slow', () => {
  it('refuses with LimitsUnavailableError within 3 s while Redis is stopped, and recovers on the same client', async () => {
    server = await startTestRedis();
    client = await requestClient(server.socketPath);
    const limiter = new RateLimiter(client, { prefix: '{airlock-outage}' });
    expect((await limiter.reserve([limit], who)).ok).toBe(true);

    await server.stop();
    for (let i = 0; i < 3; i++) {
      const { error, ms } = await timed(limiter.reserve([limit], who));
      expect(error).toBeInstanceOf(LimitsUnavailableError);
      expect((error as Error).message).toMatch(/Redis is unreachable.*refused/u);
      expect(ms).toBeLessThanOrEqual(3_000);
    }
    await expect(limiter.usage()).rejects.toBeInstanceOf(LimitsUnavailableError);

    server = await startTestRedis([], server.dir);
    await eventuallyAdmitted(limiter, 10_000);
  });

  it('refuses within 3 s while Redis hangs, and a refused call holds no slot once it answers again', async () => {
    server = await startTestRedis();
    client = await requestClient(server.socketPath);
    const limiter = new RateLimiter(client, { prefix: '{airlock-hang}' });
    const one = makeLimit('hang', 60_000, 1);
    expect((await limiter.reserve([limit], who)).ok).toBe(true); // scripts cached: the stalled one will run

    server.child.kill('SIGSTOP');
    const { error, ms } = await timed(limiter.reserve([one], who));
    expect(error).toBeInstanceOf(LimitsUnavailableError);
    expect(ms).toBeLessThanOrEqual(3_000);

    server.child.kill('SIGCONT');
    // The stalled script ran when Redis woke up, and the release queued behind it gave the slot back.
    let result: unknown;
    await waitFor(
      async () =>
        !((result = await limiter.reserve([one], who).catch((e: unknown) => e)) instanceof LimitsUnavailableError),
      10_000,
      'Redis to answer again',
    );
    expect(result).toMatchObject({ ok: true });
  });
});

describe('restart', () => {
  it('keeps counter state across a Redis restart (the embedded Redis persists with appendonly)', async () => {
    server = await startTestRedis(['--appendonly', 'yes']);
    client = await requestClient(server.socketPath);
    const limiter = new RateLimiter(client, { prefix: '{airlock-persist}' });
    const two = makeLimit('persisted', 3_600_000, 2);
    await limiter.reserve([two], who);
    await limiter.reserve([two], who);
    client.disconnect();
    await server.stop();

    server = await startTestRedis(['--appendonly', 'yes'], server.dir);
    client = await requestClient(server.socketPath);
    const restarted = new RateLimiter(client, { prefix: '{airlock-persist}' });
    expect((await restarted.usage()).map((r) => [r.counter, r.used, r.max])).toEqual([['persisted', 2, 2]]);
    expect(await restarted.reserve([two], who)).toMatchObject({ ok: false, limited: { counter: 'persisted' } });
  });
});
