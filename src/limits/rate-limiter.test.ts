import type { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import type { NormalizedLimit } from '../policy/compile.js';
import { LimitsUnavailableError } from './errors.js';
import { RateLimiter } from './rate-limiter.js';
import { releaseLimits, reserveLimits } from '../redis/index.js';

const limit: NormalizedLimit = {
  counter: 'c',
  window: 'minute',
  windowMs: 60_000,
  max: 3,
  scope: 'grant',
  rule: '/tools/t/limits/0',
};
const who = { grant: 'g', session: 's' };

/** A Redis stand-in answering evalsha/eval with `answer`; anything else is a test failure. */
function fakeRedis(answer: (sha: string) => Promise<unknown>) {
  const calls: string[] = [];
  const redis = {
    evalsha: vi.fn((sha: string) => {
      calls.push(sha);
      return answer(sha);
    }),
    eval: vi.fn(async (lua: string) => {
      calls.push(lua === releaseLimits.lua ? 'release' : 'eval');
      return [1, 42];
    }),
  };
  return { redis: redis as unknown as Redis, calls, raw: redis };
}

describe('RateLimiter.reserve', () => {
  it('admits a call without limits with no Redis round trip', async () => {
    const untouchable = new Proxy(
      {},
      {
        get: () => {
          throw new Error('Redis was used');
        },
      },
    ) as Redis;
    await expect(new RateLimiter(untouchable).reserve([], who)).resolves.toEqual({
      ok: true,
      reservation: { entries: [] },
    });
  });

  it('turns a Redis error into LimitsUnavailableError saying the call was refused', async () => {
    const { redis } = fakeRedis(async () => {
      throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
    });
    const error = await new RateLimiter(redis).reserve([limit], who).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitsUnavailableError);
    expect(error).toMatchObject({ code: 'limits_unavailable' });
    expect((error as Error).message).toMatch(/Redis is unreachable.*refused/u);
  });

  it('gives up after timeoutMs on a Redis that never answers, and releases a late admission', async () => {
    let admit: (reply: unknown) => void = () => {};
    const { redis, calls } = fakeRedis((sha) =>
      sha === reserveLimits.sha1
        ? new Promise((resolve) => {
            admit = resolve;
          })
        : Promise.resolve(1),
    );
    const started = Date.now();
    await expect(new RateLimiter(redis, { timeoutMs: 100 }).reserve([limit], who)).rejects.toBeInstanceOf(
      LimitsUnavailableError,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(calls).toEqual([reserveLimits.sha1, 'release']);
    admit([1, 42]);
    await vi.waitFor(() => expect(calls).toEqual([reserveLimits.sha1, 'release', 'release']));
  });

  it('loads the script when Redis does not have it cached', async () => {
    const { redis, raw, calls } = fakeRedis(async () => {
      throw new Error('NOSCRIPT No matching script. Please use EVAL.');
    });
    const result = await new RateLimiter(redis).reserve([limit], who);
    expect(result).toMatchObject({ ok: true, reservation: { admittedAtUs: 42 } });
    expect(raw.eval).toHaveBeenCalledOnce();
    expect(calls).toEqual([reserveLimits.sha1, 'eval']);
  });

  it('rejects a malformed limit before touching Redis', async () => {
    const { redis, calls } = fakeRedis(async () => [1, 1]);
    await expect(new RateLimiter(redis).reserve([{ ...limit, max: 0 }], who)).rejects.toThrow(TypeError);
    expect(calls).toEqual([]);
  });
});
