/**
 * `node --import tsx bench/audit.ts [--calls N] [--concurrency C]`: what the audit trail costs an allowed call.
 * Each call is what the gateway does for one allowed tools/call: make a trail (redaction + hash),
 * emit received, await decided (fail-closed durability), emit forwarded and outcome — 4 events.
 * Runs 16 callers at once by default (as `npm run bench` does) with no audit, the file only, file + Redis
 * stream, and file + stream + Slack lines, and prints wall time and this process's CPU per call.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../src/audit/audit-log.js';
import { AuditConfigSchema } from '../src/audit/config.js';
import { connectRedis } from '../src/redis/connection.js';
import { spawnRedisServer } from '../src/redis/redis-process.js';
import { silentLogger } from '../src/shared/logger.js';

const callsArg = process.argv.indexOf('--calls');
const CALLS = callsArg > 0 ? Number(process.argv[callsArg + 1]) : 25_000;
const concurrencyArg = process.argv.indexOf('--concurrency');
const CONCURRENCY = concurrencyArg > 0 ? Number(process.argv[concurrencyArg + 1]) : 16;
const args = { name: 'prod-model', version: '7', dst_model_name: 'staging-model', api_token: 'sk-live-0123456789', tags: { team: 'ml', owner: 'alice' } };

const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-bench-'));
const redisServer = await spawnRedisServer({ dir, persistent: false });
const redis = connectRedis(redisServer.url, 'request');
if (redis.status !== 'ready') await once(redis, 'ready');

type Setup = { name: string; open: () => AuditLog | undefined };
const config = (file: string) => AuditConfigSchema.parse({ file: join(dir, file) });
const setups: Setup[] = [
  { name: 'no audit', open: () => undefined },
  { name: 'file', open: () => AuditLog.open({ config: config('file.jsonl'), log: silentLogger() }) },
  { name: 'file + stream', open: () => AuditLog.open({ config: config('stream.jsonl'), redis, prefix: '{bench}', log: silentLogger() }) },
  { name: 'file + stream + slack', open: () => AuditLog.open({ config: config('slack.jsonl'), redis, prefix: '{bench2}', lines: { post: () => {} }, log: silentLogger() }) },
];

async function oneCall(audit: AuditLog | undefined): Promise<void> {
  // Stands for the gateway's own await points (policy, Redis, upstream).
  await Promise.resolve();
  if (audit === undefined) return;
  const trail = audit.call({ grant: 'bench', session: 'session-1', server: 'mlflow', tool: 'copy_model_version', args });
  trail.emit('call.received');
  await trail.emit('policy.decided', { rule: '/tools/copy_model_version', action: 'allow' });
  trail.emit('call.forwarded');
  trail.emit('call.outcome', { outcome: 'ok' });
}

async function run(setup: Setup): Promise<{ wallUs: number; cpuUs: number }> {
  const audit = setup.open();
  for (let i = 0; i < 2_000; i++) await oneCall(audit); // warm-up
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < CALLS) await oneCall(audit);
    }),
  );
  await audit?.flush();
  const wallUs = Number(process.hrtime.bigint() - start) / 1_000 / CALLS;
  const used = process.cpuUsage(cpu);
  await audit?.close();
  return { wallUs, cpuUs: (used.user + used.system) / CALLS };
}

try {
  const rows: { name: string; wallUs: number; cpuUs: number }[] = [];
  for (const setup of setups) rows.push({ name: setup.name, ...(await run(setup)) });
  const base = rows[0]!;
  console.log(`\nAudit cost per allowed call (4 events), ${CALLS} calls, ${CONCURRENCY} concurrent, Node ${process.version}\n`);
  console.log('| sinks | wall µs/call | CPU µs/call | added CPU µs/call | added CPU µs/event |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) {
    const added = row.cpuUs - base.cpuUs;
    console.log(`| ${row.name} | ${row.wallUs.toFixed(1)} | ${row.cpuUs.toFixed(1)} | ${added.toFixed(1)} | ${(added / 4).toFixed(1)} |`);
  }
} finally {
  redis.disconnect();
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
