/**
 * `node --import tsx bench/audit.ts [--calls N] [--concurrency C] [--bytes-only]`: what the audit trail costs an allowed call.
 * Each call is what the gateway does for one allowed tools/call: make a trail (redaction + hash),
 * emit received, await decided (fail-closed durability), emit forwarded and outcome — 4 events.
 * Runs 16 callers at once by default (as `npm run bench` does) with no audit, the file only, file + Redis
 * stream, and file + stream + Slack lines, and prints wall time and this process's CPU per call.
 * Then the bytes each kind of call adds to the audit file (src/audit/README.md "Bytes per call").
 */
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../src/audit/audit-log.js';
import { AuditConfigSchema } from '../src/config/index.js';
import { connectRedis, spawnRedisServer } from '../src/redis/index.js';
import { silentLogger } from '../src/shared/logger.js';

const callsArg = process.argv.indexOf('--calls');
const CALLS = callsArg > 0 ? Number(process.argv[callsArg + 1]) : 25_000;
const concurrencyArg = process.argv.indexOf('--concurrency');
const CONCURRENCY = concurrencyArg > 0 ? Number(process.argv[concurrencyArg + 1]) : 16;
const args = {
  name: 'prod-model',
  version: '7',
  dst_model_name: 'staging-model',
  api_token: 'sk-live-0123456789',
  tags: { team: 'ml', owner: 'alice' },
};

const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-bench-'));
const redisServer = await spawnRedisServer({ dir, persistent: false });
const redis = connectRedis(redisServer.url, 'request');
if (redis.status !== 'ready') await once(redis, 'ready');

type Setup = { name: string; open: () => AuditLog | undefined };
const config = (file: string) => AuditConfigSchema.parse({ file: join(dir, file) });
const setups: Setup[] = [
  { name: 'no audit', open: () => undefined },
  { name: 'file', open: () => AuditLog.open({ config: config('file.jsonl'), log: silentLogger() }) },
  {
    name: 'file + stream',
    open: () => AuditLog.open({ config: config('stream.jsonl'), redis, prefix: '{bench}', log: silentLogger() }),
  },
  {
    name: 'file + stream + slack',
    open: () =>
      AuditLog.open({
        config: config('slack.jsonl'),
        redis,
        prefix: '{bench2}',
        lines: { post: () => {} },
        log: silentLogger(),
      }),
  },
];

async function oneCall(audit: AuditLog | undefined): Promise<void> {
  // Stands for the gateway's own await points (policy, Redis, upstream).
  await Promise.resolve();
  if (audit === undefined) return;
  const trail = audit.call({
    grant: 'bench',
    session: 'session-1',
    server: 'mlflow',
    tool: 'copy_model_version',
    args,
  });
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

/** Bytes `scenario` adds to a fresh audit file (roll-up summaries included: the log is closed). */
async function bytesOf(scenario: (audit: AuditLog) => Promise<void>): Promise<number> {
  const sub = mkdtempSync(join(dir, 'bytes-'));
  const audit = AuditLog.open({ config: AuditConfigSchema.parse({ dir: sub }), log: silentLogger() });
  await scenario(audit);
  await audit.close();
  // Rotated files included (audit.max_bytes).
  return readdirSync(sub)
    .filter((f) => f.endsWith('.jsonl'))
    .reduce((total, f) => total + statSync(join(sub, f)).size, 0);
}

const identity = { grant: 'ci-agent', session: '6f1c2b1e-8d4a-4f7e-9c3b-2a5d6e7f8a9b', server: 'mlflow' };
const allowed = async (audit: AuditLog, callArgs: unknown) => {
  const trail = audit.call({ ...identity, tool: 'update_model_version', args: callArgs });
  trail.emit('call.received');
  await trail.emit('policy.decided', { rule: '/tools/update_model_version', action: 'allow' });
  trail.emit('call.forwarded');
  await trail.emit('call.outcome', { outcome: 'ok' });
};
/** The call with the most events: held, approved in Slack (the decision from the engine's trail), run. */
const approved = async (audit: AuditLog, callArgs: unknown) => {
  const trail = audit.call({ ...identity, tool: 'update_model_version', args: callArgs });
  trail.emit('call.received');
  await trail.emit('policy.decided', {
    rule: '/tools/update_model_version',
    action: 'require_approval',
    reason: 'Changes a registered model version',
  });
  trail.setApproval('apr_abcdefghijklmnopqrst');
  trail.emit('approval.requested', {
    rule: '/tools/update_model_version',
    reason: 'Changes a registered model version',
    expires_at: new Date(Date.now() + 900_000).toISOString(),
    approvers: ['U0APPROVER1', 'U0APPROVER2'],
    attached: false,
  });
  const decided = audit.approval({
    approval_id: 'apr_abcdefghijklmnopqrst',
    grant: identity.grant,
    server: identity.server,
    tool: 'update_model_version',
    args: callArgs,
  });
  decided.emit('approval.decided', {
    decision: 'approved',
    approver: 'U0APPROVER1',
    decided_at: new Date().toISOString(),
  });
  trail.emit('call.forwarded');
  await trail.emit('call.outcome', { outcome: 'ok', approver: 'U0APPROVER1' });
};
const denied = async (audit: AuditLog, callArgs: unknown) => {
  const trail = audit.call({ ...identity, tool: 'delete_run', args: callArgs });
  trail.emit('call.received');
  await trail.emit('policy.decided', { rule: '/tools/delete_run', action: 'deny', reason: 'Destructive' });
};

async function bytesPerCall(): Promise<void> {
  const huge = { name: 'fraud-detector', version: '7', description: 'A'.repeat(3_900_000) };
  const times =
    (n: number, call: (audit: AuditLog, a: unknown) => Promise<void>, a: unknown) => async (audit: AuditLog) => {
      for (let i = 0; i < n; i++) await call(audit, a);
    };
  const preview = AuditConfigSchema.parse({}).args_preview_bytes;
  const rows: [string, number, number][] = [
    ['allowed call, small arguments (4 events)', 1, await bytesOf(times(1, allowed, args))],
    ['allowed call, 3.9 MB argument (4 events)', 1, await bytesOf(times(1, allowed, huge))],
    ['10 allowed calls, 3.9 MB argument', 10, await bytesOf(times(10, allowed, huge))],
    ['approved call, 3.9 MB argument (6 events)', 1, await bytesOf(times(1, approved, huge))],
    ['denied call, 3.9 MB argument (2 events)', 1, await bytesOf(times(1, denied, huge))],
    ['1,000 identical denials in one window', 1_000, await bytesOf(times(1_000, denied, { run_id: 'r1' }))],
  ];
  console.log(`\nBytes added to the audit file (args_preview_bytes ${preview}; redacted arguments once per call)\n`);
  console.log('| calls | total bytes | bytes per call |');
  console.log('|---|---|---|');
  for (const [name, n, bytes] of rows)
    console.log(`| ${name} | ${bytes.toLocaleString('en')} | ${Math.round(bytes / n).toLocaleString('en')} |`);
}

try {
  if (!process.argv.includes('--bytes-only')) {
    const rows: { name: string; wallUs: number; cpuUs: number }[] = [];
    for (const setup of setups) rows.push({ name: setup.name, ...(await run(setup)) });
    const base = rows[0]!;
    console.log(
      `\nAudit cost per allowed call (4 events), ${CALLS} calls, ${CONCURRENCY} concurrent, Node ${process.version}\n`,
    );
    console.log('| sinks | wall µs/call | CPU µs/call | added CPU µs/call | added CPU µs/event |');
    console.log('|---|---|---|---|---|');
    for (const row of rows) {
      const added = row.cpuUs - base.cpuUs;
      console.log(
        `| ${row.name} | ${row.wallUs.toFixed(1)} | ${row.cpuUs.toFixed(1)} | ${added.toFixed(1)} | ${(added / 4).toFixed(1)} |`,
      );
    }
  }
  await bytesPerCall();
} finally {
  redis.disconnect();
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
