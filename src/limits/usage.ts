import { eachMaster, type LimitKeys, type ParsedLogKey, type RedisClient } from '../redis/index.js';
import type { CounterUsage } from './rate-limiter.js';

/** The read side of the limiter (operators' `airlock limits show|reset`), never on the call path. */

const SCAN_COUNT = 500;

/** Every key matching `pattern`: SCAN sees one node's keys, so on a cluster each master is scanned. */
async function scanKeys(redis: RedisClient, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  for (const node of eachMaster(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      for (const key of keys) found.add(key);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...found];
}

/** Log keys that exist as a log or as a meta key, parsed, of the grant when one is given. */
async function findLogs(redis: RedisClient, keys: LimitKeys, counter: string | undefined, grant: string | undefined) {
  const logs = new Set(await scanKeys(redis, keys.logPattern(counter)));
  for (const meta of await scanKeys(redis, keys.metaPattern(counter))) {
    const log = keys.logOfMeta(meta);
    if (log !== undefined) logs.add(log);
  }
  const parsed: { key: string; parts: ParsedLogKey }[] = [];
  for (const key of logs) {
    const parts = keys.parseLog(key);
    if (parts === undefined || (counter !== undefined && parts.counter !== counter)) continue;
    if (grant !== undefined && parts.grant !== grant) continue;
    parsed.push({ key, parts });
  }
  return parsed;
}

export async function readUsage(
  redis: RedisClient,
  keys: LimitKeys,
  filter: { grant?: string },
): Promise<CounterUsage[]> {
  const logs = await findLogs(redis, keys, undefined, filter.grant);
  if (logs.length === 0) return [];
  const [seconds, micros] = await redis.time();
  const nowUs = Number(seconds) * 1_000_000 + Number(micros);

  const metas = redis.pipeline();
  for (const { key } of logs) metas.hgetall(keys.metaOf(key));
  const metaReplies = (await metas.exec()) ?? [];

  const rows: Omit<CounterUsage, 'used' | 'resetsAt'>[] = [];
  logs.forEach(({ key, parts }, i) => {
    const [error, meta] = metaReplies[i] ?? [null, {}];
    if (error) throw error;
    for (const [field, window] of Object.entries((meta ?? {}) as Record<string, string>)) {
      const match = /^(\d+):(\d+)$/u.exec(field);
      if (!match) continue;
      rows.push({ ...parts, key, max: Number(match[2]), window, windowMs: Number(match[1]) });
    }
  });

  const counts = redis.pipeline();
  for (const row of rows) {
    const from = `(${nowUs - row.windowMs * 1_000}`;
    counts.zcount(row.key, from, '+inf');
    counts.zrangebyscore(row.key, from, '+inf', 'WITHSCORES', 'LIMIT', 0, 1);
  }
  const countReplies = (await counts.exec()) ?? [];
  const usage = rows.map((row, i): CounterUsage => {
    const [countError, used] = countReplies[2 * i] ?? [null, 0];
    const [oldestError, oldest] = countReplies[2 * i + 1] ?? [null, []];
    if (countError ?? oldestError) throw countError ?? oldestError;
    const oldestUs = (oldest as string[])[1];
    const resetsAt =
      oldestUs === undefined
        ? null
        : new Date(Math.ceil((Number(oldestUs) + row.windowMs * 1_000) / 1_000)).toISOString();
    return { ...row, used: Number(used), resetsAt };
  });
  return usage.sort(
    (a, b) =>
      a.counter.localeCompare(b.counter) ||
      a.scope.localeCompare(b.scope) ||
      a.scopeId.localeCompare(b.scopeId) ||
      (a.grant ?? '').localeCompare(b.grant ?? '') ||
      a.windowMs - b.windowMs ||
      a.max - b.max,
  );
}

export async function resetCounter(
  redis: RedisClient,
  keys: LimitKeys,
  counter: string,
  filter: { grant?: string },
): Promise<number> {
  const logs = await findLogs(redis, keys, counter, filter.grant);
  if (logs.length === 0) return 0;
  return redis.del(...logs.flatMap(({ key }) => [key, keys.metaOf(key)]));
}
