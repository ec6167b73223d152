import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { AuditEventSchema, type AuditEvent } from '../../src/audit/events.js';
import { readStreamEvents, tailStreamEvents } from '../../src/audit/reader.js';
import type { AuditLineSink } from '../../src/audit/slack-lines.js';
import { auditStreamKey, type RedisClient } from '../../src/redis/index.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { auditConfig, fileOf, quietLog, readAuditEvents } from '../helpers/audit.js';
import { spawnAuditWriter, stopAuditWriter } from '../helpers/audit-writer.js';
import { deleteKeys, requestClient, targetClient, testPrefix } from '../helpers/limits.js';
import { tempDir } from '../helpers/paths.js';
import { removeDir, startTestRedis } from '../helpers/redis-server.js';
import { testRedis, testRedisEnv } from '../helpers/test-redis.js';

const prefix = testPrefix();
const key = auditStreamKey(prefix);
let redis: RedisClient;

beforeAll(async () => {
  redis = await targetClient(testRedis());
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

async function streamEvents(): Promise<AuditEvent[]> {
  const entries = await redis.xrange(key, '-', '+');
  return entries.map(([, fields]) => {
    expect(fields[0]).toBe('e');
    return AuditEventSchema.parse(JSON.parse(fields[1]!));
  });
}

describe('the audit stream', () => {
  it('gets every event, as the file does, without the chain members', async () => {
    await redis.del(key);
    const dir = tempDir();
    const audit = AuditLog.open({ config: auditConfig(dir), redis, prefix, log: quietLog });
    const trail = audit.call({ grant: 'g', session: 's', server: 'mlflow', tool: 'get_model', args: { name: 'm' } });
    trail.emit('call.received');
    await trail.emit('policy.decided', { rule: '/tools/get_*', action: 'allow' });
    trail.emit('call.forwarded');
    trail.emit('call.outcome', { outcome: 'ok' });
    await audit.close();
    const events = await streamEvents();
    expect(events.map((e) => e.type)).toEqual(['call.received', 'policy.decided', 'call.forwarded', 'call.outcome']);
    expect(events.every((e) => e.call_id === trail.callId)).toBe(true);
    const fileEvents = readFileSync(fileOf(audit), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(fileEvents.map(({ seq: _s, prev: _p, ...e }) => e)).toEqual(events);
    const tail = await tailStreamEvents(redis, key, 2);
    expect(tail.events.map((e) => e.type)).toEqual(['call.forwarded', 'call.outcome']);
  });

  it('never holds a redacted value: not in the file bytes, the stream entries or the Slack lines', async () => {
    await redis.del(key);
    const dir = tempDir();
    const posted: string[] = [];
    const lines: AuditLineSink = { post: (text) => posted.push(text) };
    const audit = AuditLog.open({
      config: auditConfig(dir, { redact: ['*session_id*'] }),
      redis,
      prefix,
      lines,
      log: quietLog,
    });
    const secrets = {
      Authorization: 'Bearer s3cr3t-bearer',
      nested: [{ db_password: 's3cr3t-pw' }],
      session_id: 's3cr3t-session',
    };
    const trail = audit.call({
      grant: 'g',
      server: 'mlflow',
      tool: 'copy_model_version',
      args: { name: 'm', ...secrets },
    });
    trail.emit('call.received');
    trail.emit('policy.decided', { rule: '/tools/copy_model_version', action: 'deny', reason: 'no' });
    trail.emit('call.outcome', { outcome: 'failure', error: 'x' });
    await audit.close();
    const fileBytes = readFileSync(fileOf(audit), 'utf8');
    const streamBytes = JSON.stringify(await redis.xrange(key, '-', '+'));
    expect(posted.length).toBeGreaterThan(0);
    for (const secret of ['s3cr3t-bearer', 's3cr3t-pw', 's3cr3t-session']) {
      expect(fileBytes).not.toContain(secret);
      expect(streamBytes).not.toContain(secret);
      expect(posted.join('\n')).not.toContain(secret);
    }
    expect((await streamEvents())[0]!.args).toEqual({
      name: 'm',
      Authorization: '[redacted]',
      nested: [{ db_password: '[redacted]' }],
      session_id: '[redacted]',
    });
  });

  it('stays capped near maxlen', async () => {
    await redis.del(key);
    const audit = AuditLog.open({
      config: auditConfig(tempDir(), { stream: { maxlen: 50 } }),
      redis,
      prefix,
      log: quietLog,
    });
    const trail = audit.call({ grant: 'g', server: 's', tool: 't', args: {} });
    for (let i = 0; i < 2_000; i++) trail.emit('call.received');
    await audit.close();
    const length = await redis.xlen(key);
    expect(length).toBeGreaterThanOrEqual(50);
    expect(length).toBeLessThan(400); // MAXLEN ~ trims whole radix-tree nodes (100 entries by default)
  });

  it('reads events from a time on, page by page', async () => {
    await redis.del(key);
    const audit = AuditLog.open({ config: auditConfig(tempDir()), redis, prefix, log: quietLog });
    const trail = audit.call({ grant: 'g', server: 's', tool: 't', args: {} });
    for (let i = 0; i < 25; i++) trail.emit('call.refused', { reason: `r${i}` });
    await audit.close();
    const all: AuditEvent[] = [];
    for await (const event of readStreamEvents(redis, key, Date.now() - 60_000, 10)) all.push(event);
    expect(all.map((e) => (e as { reason: string }).reason)).toEqual(Array.from({ length: 25 }, (_, i) => `r${i}`));
    const none: AuditEvent[] = [];
    for await (const event of readStreamEvents(redis, key, Date.now() + 60_000)) none.push(event);
    expect(none).toEqual([]);
  });

  it('never fails a call when Redis is down: the file still gets every event', async () => {
    const server = await startTestRedis();
    const doomed = await requestClient(server.socketPath);
    await server.stop();
    removeDir(server.dir);
    const dir = tempDir();
    const audit = AuditLog.open({ config: auditConfig(dir), redis: doomed, prefix, log: quietLog });
    const trail = audit.call({ grant: 'g', server: 's', tool: 't', args: {} });
    await Promise.all([trail.emit('call.received'), trail.emit('call.outcome', { outcome: 'ok' })]);
    await audit.close();
    expect(audit.streamDropped).toBe(2);
    expect(readFileSync(fileOf(audit), 'utf8').trim().split('\n')).toHaveLength(2);
    doomed.disconnect();
  });
});

describe('two Airlock processes writing to one stream', () => {
  it('keeps every event of both, in each process order, interleaved; each process has its own file', async () => {
    await redis.del(key);
    const dir = tempDir();
    const calls = 300;
    const writers = ['alpha', 'beta'].map((name) => ({
      name,
      writer: spawnAuditWriter({ DIR: dir, NAME: name, ...testRedisEnv(), PREFIX: prefix }),
    }));
    try {
      await Promise.all(writers.map((w) => w.writer.ready));
      const opened = await Promise.all(writers.map((w) => w.writer.send<{ file: string }>('open')));
      expect(new Set(opened.map((o) => o.file)).size).toBe(2);
      // Both are open before either starts, so their writes overlap.
      for (const w of writers) w.writer.post(`write ${calls}`);
      const written = await Promise.all(writers.map((w) => w.writer.answer<{ callIds: string[] }>()));
      expect(await Promise.all(writers.map((w) => stopAuditWriter(w.writer)))).toEqual([0, 0]);
      const callIds = Object.fromEntries(writers.map((w, i) => [w.name, written[i]!.callIds]));

      const events = await streamEvents();
      expect(events).toHaveLength(4 * calls);
      for (const name of ['alpha', 'beta'] as const) {
        const mine = events.filter((e) => e.grant === name);
        expect(mine.map((e) => e.type)).toEqual(
          Array.from({ length: calls }, () => ['call.received', 'call.outcome']).flat(),
        );
        expect([...new Set(mine.map((e) => e.call_id))]).toEqual(callIds[name]);
        expect(mine.map((e) => e.id)).toEqual(mine.map((e) => e.id).sort());
        expect(JSON.stringify(mine)).not.toContain(`key-${name}-`);
      }
      // Written one after the other, the stream would switch writers once; more switches prove the
      // two processes wrote at the same time (how often depends on the machine's load, so no more).
      const switches = events.filter((e, i) => i > 0 && e.grant !== events[i - 1]!.grant).length;
      expect(switches).toBeGreaterThan(1);
      // The files hold the same events, each process's in its own chain.
      for (const [i, { file }] of opened.entries()) {
        expect(verifyAuditFiles([file])).toMatchObject({ ok: true, lines: 2 * calls });
        const grants = new Set(readAuditEvents(file).map((e) => e.grant));
        expect([...grants]).toEqual([writers[i]!.name]);
      }
    } finally {
      for (const w of writers) if (w.writer.child.exitCode === null) w.writer.child.kill('SIGKILL');
    }
  });
});
