import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditEventSchema,
  AuditLog,
  verifyAuditFiles,
  type AuditEvent,
  type AuditEventOf,
} from '../../src/audit/index.js';
import { formatEvent } from '../../src/audit/query.js';
import { readFileEvents } from '../../src/audit/reader.js';
import { auditFileConfig, quietLog, parseAuditLines, readAuditEvents } from '../helpers/audit.js';
import { randomPrefix } from '../helpers/approvals.js';
import { connectHttp, startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { writeGatewayConfig } from '../helpers/config.js';

/**
 * The audit trail cannot be used to fill the disk: a huge argument is stored once per call, as a
 * bounded preview, and a flood of identical denials costs one full denial and one summary.
 */

const TOKEN = 'audit-bounded-agent-token-0001';
const PREVIEW = 4096;
/** Everything of an allowed call's 4 events but the preview (ids, times, hashes, chain members). */
const OVERHEAD = 2_500;
const dir = tempDir();
const prefix = randomPrefix();

const policy = {
  version: '1',
  default: 'deny',
  tools: { get_experiment_by_name: {}, delete_run: { action: 'deny', reason: 'Destructive' } },
};

function writeConfig(name: string, rollupWindow: string): string {
  return writeGatewayConfig(
    dir,
    {
      upstreams: { mlflow: upstreams.standin(['--state', join(dir, `${name}-mlflow.json`)]) },
      policy: writeJson(join(dir, 'policy.json'), policy),
      grants: [{ name: 'agent', token: TOKEN }],
      audit: { args_preview_bytes: PREVIEW, denial_rollup_window: rollupWindow },
    },
    { name: `${name}`, prefix },
  );
}

const events = (file: string) => readAuditEvents(file);
const summaries = (file: string) =>
  events(file).filter((e): e is AuditEventOf<'call.denied_repeatedly'> => e.type === 'call.denied_repeatedly');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'audit', ...args], { encoding: 'utf8' });

describe('the audit trail under hostile input, through the gateway', () => {
  let gateway: GatewayProcess;
  let agent: Client;
  let configFile: string;
  const call = (name: string, args: Record<string, unknown>): Promise<CallToolResult> =>
    agent.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, {
      timeout: 60_000,
    });

  beforeAll(async () => {
    configFile = writeConfig('long', '10m');
    gateway = await startGateway({ config: configFile });
    agent = await connectHttp(gateway.mcpUrl, TOKEN);
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.stop();
  });

  it(`stores a 3.9 MB argument once per call, as a preview: ten calls grow the file by less than 10 × (${PREVIEW} + ${OVERHEAD}) bytes`, async () => {
    const file = gateway.auditFile!;
    await call('get_experiment_by_name', { name: 'warm-up' });
    await waitFor(
      () => events(file).filter((e) => e.type === 'call.outcome').length === 1,
      10_000,
      'the warm-up outcome',
    );
    const before = statSync(file).size;
    const huge = 'A'.repeat(3_900_000);
    for (let i = 0; i < 10; i++) await call('get_experiment_by_name', { name: `${i}-${huge}` });
    await waitFor(() => events(file).filter((e) => e.type === 'call.outcome').length === 11, 10_000, 'ten outcomes');
    const grown = statSync(file).size - before;
    expect(grown).toBeLessThan(10 * (PREVIEW + OVERHEAD));

    const big = events(file)
      .filter((e) => e.tool === 'get_experiment_by_name' && e.type === 'call.received')
      .slice(1);
    expect(big).toHaveLength(10);
    for (const received of big) {
      expect(received).toMatchObject({ args_truncated: true, args_bytes: 3_900_000 + '{"name":"0-"}'.length });
      expect(Buffer.byteLength(JSON.stringify(received.args))).toBeLessThanOrEqual(PREVIEW);
      expect((received.args as { name: string }).name).toMatch(/^\d-A+… \[\d+ more characters\]$/u);
      const others = events(file).filter((e) => e.call_id === received.call_id && e.type !== 'call.received');
      expect(others.map((e) => e.type)).toEqual(['policy.decided', 'call.forwarded', 'call.outcome']);
      for (const other of others) {
        expect(other.args_sha256).toBe(received.args_sha256);
        expect(other).not.toHaveProperty('args');
      }
    }
  });

  it('writes 200 identical denials as one full denial and, at shutdown, one summary counting 199; the chain verifies and query finds it', async () => {
    const file = gateway.auditFile!;
    const before = statSync(file).size;
    for (let i = 0; i < 200; i++) {
      const result = await call('delete_run', { run_id: 'r-flood' });
      expect(result.structuredContent).toMatchObject({ status: 'denied', rule: '/tools/delete_run' });
    }
    await call('delete_run', { run_id: 'r-other' });
    const flood = events(file).filter((e) => e.tool === 'delete_run');
    expect(flood.map((e) => e.type)).toEqual(['call.received', 'policy.decided', 'call.received', 'policy.decided']);
    expect(flood[0]).toMatchObject({ args: { run_id: 'r-flood' } });
    expect(flood[2]).toMatchObject({ args: { run_id: 'r-other' } });
    const first = flood[0]!;

    await agent.close();
    await gateway.stop();
    const [summary, ...more] = summaries(file);
    expect(more).toEqual([]);
    expect(summary).toMatchObject({
      call_id: first.call_id,
      first_call_id: first.call_id,
      count: 199,
      rule: '/tools/delete_run',
      reason: 'Destructive',
      grant: 'agent',
      server: 'mlflow',
      tool: 'delete_run',
      args_sha256: first.args_sha256,
    });
    expect(statSync(file).size - before).toBeLessThan(5 * 1_000);

    const verified = cli('verify', file);
    expect(verified.stderr).toBe('');
    expect(verified.status).toBe(0);
    // The stream got the same events: `audit query` (its default source here) finds the summary among the denials.
    const query = cli('query', '--json', '--decision', 'deny', '--tool', 'delete_run', '-c', configFile);
    expect(query.status).toBe(0);
    const denied = parseAuditLines(query.stdout);
    expect(denied.map((e) => e.type)).toEqual(['policy.decided', 'policy.decided', 'call.denied_repeatedly']);
    expect(denied[2]).toMatchObject({ count: 199, first_call_id: first.call_id });
  });
});

describe('the denial roll-up window, through the gateway', () => {
  it('sums up the repeats when the window closes, while the gateway runs', async () => {
    const gateway = await startGateway({ config: writeConfig('short', '1s') });
    const agent = await connectHttp(gateway.mcpUrl, TOKEN);
    try {
      const file = gateway.auditFile!;
      await Promise.all(
        Array.from({ length: 5 }, () =>
          agent.request(
            { method: 'tools/call', params: { name: 'delete_run', arguments: { run_id: 'r-window' } } },
            CallToolResultSchema,
          ),
        ),
      );
      await waitFor(() => summaries(file).length > 0, 10_000, 'a call.denied_repeatedly event');
      // However the five fell into windows, each is counted exactly once: written in full, or in a summary.
      const full = events(file).filter((e) => e.type === 'policy.decided' && e.tool === 'delete_run').length;
      await waitFor(
        () => full + summaries(file).reduce((n, s) => n + s.count, 0) === 5,
        10_000,
        'all five denials accounted for',
      );
      expect(full).toBeLessThan(5);
    } finally {
      await agent.close();
      await gateway.stop();
    }
  });
});

describe('chains written before arguments were stored once per call', () => {
  it('still verify, read and print, and a new writer continues them', async () => {
    const file = join(tempDir(), 'old.jsonl');
    const args = { name: 'm', api_token: '[redacted]' };
    const old = ['call.received', 'policy.decided', 'call.forwarded', 'call.outcome'].map((type, i) => ({
      v: 1,
      id: `01J00000000000000000000${i}AA`,
      time: '2026-08-01T12:00:00.000Z',
      type,
      call_id: 'call_old',
      grant: 'g',
      server: 'mlflow',
      tool: 'get_model',
      ...(type === 'policy.decided'
        ? { rule: '/tools/get_model', action: 'allow' }
        : type === 'call.outcome'
          ? { outcome: 'ok', duration_ms: 3 }
          : {}),
      args_sha256: 'c'.repeat(64),
      args,
    }));
    let prev = '0'.repeat(64);
    const lines = old.map((event, i) => {
      const line = JSON.stringify({ ...event, seq: i + 1, prev });
      prev = createHash('sha256').update(line).digest('hex');
      return line;
    });
    writeFileSync(file, lines.map((l) => `${l}\n`).join(''));

    const audit = AuditLog.open({ config: auditFileConfig(file), log: quietLog });
    const trail = audit.call({ grant: 'g', server: 'mlflow', tool: 'get_model', args: { name: 'new' } });
    void trail.emit('call.received');
    await trail.emit('policy.decided', { rule: '/tools/get_model', action: 'allow' });
    await audit.close();

    expect(verifyAuditFiles([file])).toMatchObject({ ok: true, lines: 6 });
    const read: AuditEvent[] = [];
    for await (const event of readFileEvents(file)) read.push(event);
    expect(read.map((e) => [e.call_id, e.type])).toEqual([
      ...old.map((e) => ['call_old', e.type]),
      [trail.callId, 'call.received'],
      [trail.callId, 'policy.decided'],
    ]);
    for (const event of read) expect(AuditEventSchema.safeParse(event).success).toBe(true);
    expect(read.slice(0, 4).every((e) => JSON.stringify(e.args) === JSON.stringify(args))).toBe(true);
    expect(formatEvent(read[0]!)).toContain('args {"name":"m","api_token":"[redacted]"}');
    expect(read[5]).not.toHaveProperty('args');
  });
});
