import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter, type ReserveResult } from '../../src/limits/index.js';
import { reserveLimits, type RedisClient } from '../../src/redis/index.js';
import {
  deleteKeys,
  makeLimit,
  maxInAnyWindow,
  redisNowUs,
  targetClient,
  testPrefix,
  waitUntilRedisTime,
} from '../helpers/limits.js';
import { ROOT } from '../helpers/paths.js';
import { testRedis, testRedisEnv } from '../helpers/test-redis.js';

const prefix = testPrefix();
const clients: RedisClient[] = [];
let redis: RedisClient;
let limiter: RateLimiter;
const g1s1 = { grant: 'g1', session: 's1' };

beforeAll(async () => {
  for (let i = 0; i < 4; i++) clients.push(await targetClient(testRedis()));
  redis = clients[0]!;
  limiter = new RateLimiter(redis, { prefix });
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  for (const client of clients) client.disconnect();
});

const admittedTimes = (results: ReserveResult[]) => results.flatMap((r) => (r.ok ? [r.reservation.admittedAtUs!] : []));

describe('exactness', () => {
  it('admits exactly max from several clients at once, and exactly max again once the window has slid', async () => {
    const limit = makeLimit('burst', 1_000, 50, 'global');
    const limiters = clients.map((c) => new RateLimiter(c, { prefix }));
    const burst = () =>
      Promise.all(Array.from({ length: 400 }, (_, i) => limiters[i % limiters.length]!.reserve([limit], g1s1)));

    const first = admittedTimes(await burst());
    expect(first).toHaveLength(50);
    await waitUntilRedisTime(redis, Math.max(...first) + 1_000_000);
    const second = admittedTimes(await burst());
    expect(second).toHaveLength(50);
    expect(maxInAnyWindow([...first, ...second], 1_000)).toBe(50);
  });

  it('never admits more than max in any rolling window across two processes and several clients', async () => {
    const windowMs = 1_000;
    const max = 20;
    const counter = 'shared-by-processes';
    const durationMs = 3_500;
    const env = {
      ...process.env,
      ...testRedisEnv(),
      PREFIX: prefix,
      COUNTER: counter,
      WINDOW_MS: String(windowMs),
      MAX: String(max),
      DURATION_MS: String(durationMs),
      CONCURRENCY: '6',
    };
    // Each child says `ready` once connected and is then told when to start: no race with its start-up.
    const runChild = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/limits-hammer.ts')], {
        cwd: ROOT,
        env,
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let out = '';
      let markReady: () => void = () => {};
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.startsWith('ready\n')) markReady();
      });
      const done = new Promise<{ admitted: number[]; refused: number; late: boolean }>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0
            ? resolve(JSON.parse(out.slice('ready\n'.length)) as { admitted: number[]; refused: number; late: boolean })
            : reject(new Error(`hammer exited ${code}`)),
        );
      });
      return { child, ready, done };
    };
    const spawned = [runChild(), runChild()];
    await Promise.all(spawned.map((s) => s.ready));
    const startAt = Date.now() + 500;
    for (const { child } of spawned) child.stdin.end(`${startAt}\n`);
    const children = spawned.map((s) => s.done);

    // This process joins in with its own clients.
    const limit = makeLimit(counter, windowMs, max, 'global');
    await new Promise((r) => setTimeout(r, startAt - Date.now()));
    const mine: number[] = [];
    await Promise.all(
      clients.map(async (client) => {
        const own = new RateLimiter(client, { prefix });
        while (Date.now() < startAt + durationMs) {
          const result = await own.reserve([limit], g1s1);
          if (result.ok) mine.push(result.reservation.admittedAtUs!);
        }
      }),
    );
    const [a, b] = await Promise.all(children);
    expect(a!.late || b!.late).toBe(false);
    expect(a!.admitted.length).toBeGreaterThan(0);
    expect(b!.admitted.length).toBeGreaterThan(0);

    const all = [...a!.admitted, ...b!.admitted, ...mine].sort((x, y) => x - y);
    expect(maxInAnyWindow(all, windowMs)).toBe(max);
    // Saturated from the start: the first window holds exactly max admissions.
    expect(all.filter((t) => t < all[0]! + windowMs * 1_000)).toHaveLength(max);
    // ...and every slot that frees is taken again, so the total is close to max per window.
    expect(all.length).toBeGreaterThanOrEqual(max * Math.floor(durationMs / windowMs));
  });
});

describe('counters and scopes', () => {
  it('two limits naming the same counter share it', async () => {
    const a = makeLimit('shared', 60_000, 3, 'grant', '/tools/a/limits/0');
    const b = makeLimit('shared', 60_000, 3, 'grant', '/tools/b/limits/0');
    expect((await limiter.reserve([a], g1s1)).ok).toBe(true);
    expect((await limiter.reserve([b], g1s1)).ok).toBe(true);
    expect((await limiter.reserve([a], g1s1)).ok).toBe(true);
    expect(await limiter.reserve([b], g1s1)).toMatchObject({
      ok: false,
      limited: { counter: 'shared', rule: '/tools/b/limits/0' },
    });
    expect(await limiter.reserve([a], g1s1)).toMatchObject({ ok: false, limited: { rule: '/tools/a/limits/0' } });
  });

  it('a counter keeps its log for the longest window that reads it', async () => {
    const short = makeLimit('mixed', 1_000, 3);
    const long = makeLimit('mixed', 60_000, 4);
    const first = await limiter.reserve([short], g1s1);
    await limiter.reserve([short], g1s1);
    await limiter.reserve([short], g1s1);
    expect((await limiter.reserve([short], g1s1)).ok).toBe(false);
    expect((await limiter.reserve([long], g1s1)).ok).toBe(true);
    expect((await limiter.reserve([long], g1s1)).ok).toBe(false);
    // Once the short window has slid, a short-window call trims only what the long one no longer needs.
    await waitUntilRedisTime(redis, (first.ok ? first.reservation.admittedAtUs! : 0) + 1_100_000);
    expect((await limiter.reserve([short], g1s1)).ok).toBe(true);
    expect(await limiter.reserve([long], g1s1)).toMatchObject({ ok: false, limited: { max: 4 } });
  });

  it('grant, session and global scopes keep separate counts', async () => {
    const grant = makeLimit('per-grant', 60_000, 1, 'grant');
    expect((await limiter.reserve([grant], { grant: 'g1', session: 's1' })).ok).toBe(true);
    expect((await limiter.reserve([grant], { grant: 'g1', session: 's2' })).ok).toBe(false);
    expect((await limiter.reserve([grant], { grant: 'g2', session: 's1' })).ok).toBe(true);

    const session = makeLimit('per-session', 60_000, 1, 'session');
    expect((await limiter.reserve([session], { grant: 'g1', session: 's1' })).ok).toBe(true);
    expect((await limiter.reserve([session], { grant: 'g1', session: 's1' })).ok).toBe(false);
    expect((await limiter.reserve([session], { grant: 'g1', session: 's2' })).ok).toBe(true);
    expect((await limiter.reserve([session], { grant: 'g2', session: 's1' })).ok).toBe(true);

    const global = makeLimit('everyone', 60_000, 2, 'global');
    expect((await limiter.reserve([global], { grant: 'g1', session: 's1' })).ok).toBe(true);
    expect((await limiter.reserve([global], { grant: 'g2', session: 's9' })).ok).toBe(true);
    expect((await limiter.reserve([global], { grant: 'g3', session: 's3' })).ok).toBe(false);
  });

  it('consumes all limits or none: a full second limit leaves the first untouched', async () => {
    const roomy = makeLimit('roomy', 60_000, 2);
    const full = makeLimit('full', 60_000, 1);
    expect((await limiter.reserve([full], g1s1)).ok).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(await limiter.reserve([roomy, full], g1s1)).toMatchObject({ ok: false, limited: { counter: 'full' } });
    }
    expect((await limiter.reserve([roomy], g1s1)).ok).toBe(true);
    expect((await limiter.reserve([roomy], g1s1)).ok).toBe(true);
    expect((await limiter.reserve([roomy], g1s1)).ok).toBe(false);
  });

  it('when several limits are full, names the one that frees last', async () => {
    const soon = makeLimit('soon', 2_000, 1);
    const late = makeLimit('late', 30_000, 1);
    await limiter.reserve([soon, late], g1s1);
    const result = await limiter.reserve([soon, late], g1s1);
    expect(result).toMatchObject({ ok: false, limited: { counter: 'late', windowMs: 30_000 } });
  });
});

describe('retry after', () => {
  it('is exactly when the oldest admission leaves the window', async () => {
    const limit = makeLimit('retry', 5_000, 2);
    const first = await limiter.reserve([limit], g1s1);
    await limiter.reserve([limit], g1s1);
    const before = await redisNowUs(redis);
    const refused = await limiter.reserve([limit], g1s1);
    const after = await redisNowUs(redis);
    if (!first.ok || refused.ok) throw new Error('expected an admission, then a refusal');
    const leaves = first.reservation.admittedAtUs! + 5_000_000;
    expect(refused.limited.retryAfterMs).toBeGreaterThanOrEqual(Math.floor((leaves - after) / 1_000));
    expect(refused.limited.retryAfterMs).toBeLessThanOrEqual(Math.ceil((leaves - before) / 1_000));
    expect(refused.limited).toMatchObject({
      counter: 'retry',
      max: 2,
      window: '5000ms',
      windowMs: 5_000,
      scope: 'grant',
      rule: '/tools/retry/limits/0',
    });
  });
});

describe('release', () => {
  it('returns the slot, harmlessly when repeated, from another client given the JSON reservation', async () => {
    const limit = makeLimit('rollback', 60_000, 1, 'session');
    const held = await limiter.reserve([limit], g1s1);
    if (!held.ok) throw new Error('expected an admission');
    expect((await limiter.reserve([limit], g1s1)).ok).toBe(false);

    const elsewhere = new RateLimiter(clients[1]!, { prefix });
    const stored = JSON.parse(JSON.stringify(held.reservation)) as typeof held.reservation;
    await elsewhere.release(stored);
    const again = await limiter.reserve([limit], g1s1);
    expect(again.ok).toBe(true);
    await elsewhere.release(stored);
    expect((await limiter.reserve([limit], g1s1)).ok).toBe(false);
  });

  it('releases every counter of a multi-limit reservation', async () => {
    const a = makeLimit('multi-a', 60_000, 1);
    const b = makeLimit('multi-b', 60_000, 1, 'global');
    const held = await limiter.reserve([a, b], g1s1);
    if (!held.ok) throw new Error('expected an admission');
    expect(held.reservation.entries).toHaveLength(2);
    await limiter.release(held.reservation);
    expect((await limiter.reserve([a, b], g1s1)).ok).toBe(true);
  });
});

describe('Redis state', () => {
  it('sets every key to expire with its window', async () => {
    const limit = makeLimit('expiring', 2_000, 5, 'session');
    await limiter.reserve([limit], g1s1);
    const log = limiter.keys.log('expiring', 'session', g1s1);
    for (const key of [log, limiter.keys.metaOf(log)]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(1_500);
      expect(ttl).toBeLessThanOrEqual(2_000);
    }
  });

  it('reloads its script after SCRIPT FLUSH', async () => {
    await redis.script('FLUSH');
    expect((await limiter.reserve([makeLimit('flushed', 60_000, 1)], g1s1)).ok).toBe(true);
  });

  it('answers a replayed reservation without counting it twice', async () => {
    const log = limiter.keys.log('replay', 'grant', g1s1);
    const run = () =>
      redis.eval(reserveLimits.lua, 2, log, limiter.keys.metaOf(log), 'same-member', 1, 1, 60_000, 1, 'minute');
    const first = (await run()) as number[];
    const second = (await run()) as number[];
    expect(first[0]).toBe(1);
    expect(second).toEqual(first);
    expect(await redis.zcard(log)).toBe(1);
  });
});

describe('usage and reset', () => {
  it('shows each counter per limit with its use and reset time, and resets per grant or everywhere', async () => {
    const isolated = new RateLimiter(redis, { prefix: testPrefix() });
    const limit = makeLimit('ops:copy', 60_000, 30);
    const held = await isolated.reserve([limit], { grant: 'alice', session: 'a1' });
    await isolated.reserve([limit], { grant: 'alice', session: 'a2' });
    await isolated.reserve([limit, makeLimit('ops:copy', 3_600_000, 100)], { grant: 'bob', session: 'b1' });
    await isolated.reserve([makeLimit('all', 60_000, 5, 'global')], { grant: 'bob', session: 'b1' });
    await isolated.reserve([makeLimit('sess', 60_000, 5, 'session')], { grant: 'alice', session: 'a:1' });

    const rows = await isolated.usage();
    expect(rows.map((r) => [r.counter, r.scope, r.grant, r.scopeId, r.used, r.max, r.windowMs])).toEqual([
      ['all', 'global', undefined, '', 1, 5, 60_000],
      ['ops:copy', 'grant', 'alice', 'alice', 2, 30, 60_000],
      ['ops:copy', 'grant', 'bob', 'bob', 1, 30, 60_000],
      ['ops:copy', 'grant', 'bob', 'bob', 1, 100, 3_600_000],
      ['sess', 'session', 'alice', 'a:1', 1, 5, 60_000],
    ]);
    const alice = rows[1]!;
    if (!held.ok) throw new Error('expected an admission');
    expect(Date.parse(alice.resetsAt!)).toBe(Math.ceil(held.reservation.admittedAtUs! / 1_000) + 60_000);
    expect(alice.key).toBe(isolated.keys.log('ops:copy', 'grant', { grant: 'alice', session: '' }));

    expect((await isolated.usage({ grant: 'alice' })).map((r) => r.counter)).toEqual(['ops:copy', 'sess']);
    expect(await isolated.reset('ops:copy', { grant: 'alice' })).toBe(2);
    expect((await isolated.usage({ grant: 'alice' })).map((r) => r.counter)).toEqual(['sess']);
    expect(await isolated.reset('ops:copy')).toBe(2);
    expect(await isolated.reset('ops:copy')).toBe(0);
    expect((await isolated.usage()).map((r) => r.counter)).toEqual(['all', 'sess']);
    await deleteKeys(redis, isolated.keys.prefix);
  });
});
