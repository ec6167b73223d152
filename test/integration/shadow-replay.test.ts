import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomPrefix } from '../helpers/approvals.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { connectHttp, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, ROOT, tempDir, upstreams, writeJson } from '../helpers/paths.js';

// Shadow rules through a real gateway and client (never blocking, audited, their limits on
// shadow counters), then `airlock replay` over the audit trail that run wrote.
const TOKEN = 'shadow-replay-agent-token-01234567';
const dir = tempDir();
const prefix = randomPrefix();
const auditFile = join(dir, 'audit.jsonl');
const approval = { approvers: ['U0APPROVER1'] };
const live = {
  version: '1',
  default: 'deny',
  tools: {
    'get_*': {},
    get_run: { mode: 'shadow', action: 'deny', reason: 'run details are too large for agents' },
    'set_*': {},
    set_run_tag: { rate_limit: { max: 3, window: 'minute' } },
    set_experiment_tag: { mode: 'shadow', rate_limit: { max: 2, window: 'minute' } },
    copy_model_version: {},
  },
  servers: { mlflow: { mode: 'shadow', tools: { copy_model_version: { action: 'require_approval', approval } } } },
};
const livePolicy = writeJson(join(dir, 'live.json'), live);
const configFile = writeGatewayConfig(
  dir,
  {
    upstreams: { mlflow: upstreams.standin(['--state', join(dir, 'mlflow-state.json')]) },
    policy: livePolicy,
    grants: [{ name: 'agent', token: TOKEN }],
    audit: { file: auditFile },
  },
  { prefix },
);

let gateway: GatewayProcess;
let client: Client;
const results: Record<string, unknown[]> = {};

beforeAll(async () => {
  gateway = await startGateway({ config: configFile, auditFile });
  client = await connectHttp(gateway.mcpUrl, TOKEN);
  const call = async (name: string, args: Record<string, unknown>, times = 1) => {
    for (let i = 0; i < times; i++) (results[name] ??= []).push(await client.callTool({ name, arguments: args }));
  };
  await call('get_run', { run_id: '1f32c67417521274adcdd67899f54a0f' });
  await call('set_experiment_tag', { experiment_id: '1', key: 'k', value: 'v' }, 4);
  await call('set_run_tag', { run_id: '1f32c67417521274adcdd67899f54a0f', key: 'k', value: 'v' }, 5);
  await call('copy_model_version', { src_model_name: 'fraud-detector-dev', src_version: '1', dst_model_name: 'x' });
});

afterAll(async () => {
  await client?.close();
  await gateway?.stop();
});

type Json = Record<string, unknown>;
const status = (r: unknown) => (r as { structuredContent?: { status?: string } }).structuredContent?.status;
const audit = () =>
  readFileSync(auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Json);
function airlock(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args, '--config', configFile], { encoding: 'utf8', cwd: ROOT });
}

describe('shadow rules', () => {
  it('never block, and are audited as what they would do', async () => {
    expect(results['get_run']!.map(status)).not.toContain('denied');
    expect((results['get_run']![0] as { isError?: boolean }).isError).toBeFalsy();
    expect(results['set_experiment_tag']!.map(status)).not.toContain('rate_limited');
    expect(status(results['copy_model_version']![0])).not.toBe('pending');
    const shadowed = audit().filter((e) => e['type'] === 'policy.shadowed');
    const of = (tool: string) => shadowed.filter((e) => e['tool'] === tool);
    expect(of('get_run')).toMatchObject([
      { would: 'deny', rule: '/tools/get_run', reason: 'run details are too large for agents' },
    ]);
    expect(of('copy_model_version')).toMatchObject([
      { would: 'require_approval', rule: '/servers/mlflow/tools/copy_model_version' },
    ]);
    // The third and fourth tag calls are over the shadow limit of 2 a minute.
    expect(of('set_experiment_tag')).toMatchObject([
      { would: 'limit', counter: 'set_experiment_tag', max: 2, window: 'minute' },
      { would: 'limit', counter: 'set_experiment_tag', max: 2, window: 'minute' },
    ]);
    expect(of('set_run_tag')).toEqual([]);
  });

  it('count their limits on shadow counters, never the real ones', async () => {
    const redis = new Redis(inject('redisPath'));
    try {
      const logs = (await redis.keys(`${prefix}:limit:*`)).map((k) => k.slice(prefix.length)).sort();
      expect(logs).toEqual([':limit:set_run_tag:grant:agent', ':limit:shadow%3Aset_experiment_tag:grant:agent']);
      expect(await redis.zcard(`${prefix}:limit:shadow%3Aset_experiment_tag:grant:agent`)).toBe(2);
    } finally {
      redis.disconnect();
    }
    expect(results['set_run_tag']!.map(status).filter((s) => s === 'rate_limited')).toHaveLength(2);
  });

  it('show in airlock check, in a column of what they would decide', () => {
    const run = airlock('check', livePolicy);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/SERVER\s+TOOL\s+RISK\s+DECISION\s+LIMITS\s+APPROVAL\s+SHADOW\s+RULE/);
    expect(run.stdout).toMatch(/mlflow\s+get_run\s+read\/low\s+allow\s+-\s+-\s+would deny \(\/tools\/get_run\)/);
    const whole = writeJson(join(dir, 'whole.json'), { ...live, mode: 'shadow' });
    expect(airlock('check', whole).stdout).toContain(
      'warning: the whole policy is in shadow mode: every call is allowed',
    );
  });
});

describe('airlock replay', () => {
  it('reports no change for the policy that decided, its limits simulated as the live limiter counted', () => {
    const run = airlock('replay', '--policy', livePolicy, '--source', 'file', '--json');
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { calls: number; compared: number; changes: unknown[] };
    expect(report).toMatchObject({ calls: 11, compared: 11, unchanged: 11, changes: [] });
  });

  it('reports exactly the decisions a candidate changes, with counts and example call ids', () => {
    const { get_run: _g, set_experiment_tag: _s, ...tools } = live.tools;
    const candidate = writeJson(join(dir, 'candidate.json'), {
      ...live,
      tools: {
        ...tools,
        get_run: { action: 'deny', reason: 'run details are too large for agents' },
        set_experiment_tag: { rate_limit: { max: 2, window: 'minute' } },
        set_run_tag: { rate_limit: { max: 2, window: 'minute' } },
      },
      servers: { mlflow: { tools: live.servers.mlflow.tools } },
    });
    const run = airlock('replay', '--policy', candidate, '--source', 'file', '--json');
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { unchanged: number; changes: Json[] };
    const calls = audit().filter((e) => e['type'] === 'call.received');
    const idsOf = (tool: string) => calls.filter((e) => e['tool'] === tool).map((e) => e['call_id']);
    const byTool = Object.fromEntries(report.changes.map((c) => [c['tool'], c]));
    expect(Object.keys(byTool).sort()).toEqual(['copy_model_version', 'get_run', 'set_experiment_tag', 'set_run_tag']);
    expect(byTool['get_run']).toMatchObject({
      recorded: 'allow',
      candidate: 'deny',
      count: 1,
      examples: idsOf('get_run'),
    });
    expect(byTool['set_experiment_tag']).toMatchObject({
      recorded: 'allow',
      candidate: 'rate_limited',
      count: 2,
      by: ['set_experiment_tag 2/minute per grant'],
      examples: idsOf('set_experiment_tag').slice(2),
    });
    // The live limit refused calls 4 and 5; a limit of 2 refuses call 3 as well, and only that changes.
    expect(byTool['set_run_tag']).toMatchObject({
      candidate: 'rate_limited',
      count: 1,
      examples: [idsOf('set_run_tag')[2]],
    });
    expect(byTool['copy_model_version']).toMatchObject({ recorded: 'allow', candidate: 'require_approval', count: 1 });
    expect(report.unchanged).toBe(11 - 5);
    const text = airlock('replay', '--policy', candidate, '--source', 'file', '--grant', 'agent').stdout;
    expect(text).toMatch(/over 11 tool calls from .* 5 decisions would change, 6 stay/);
    expect(text).toMatch(
      /mlflow\s+set_experiment_tag\s+agent\s+allow\s+rate_limited\s+2\s+set_experiment_tag 2\/minute per grant/,
    );
    const none = airlock('replay', '--policy', candidate, '--source', 'file', '--grant', 'nobody', '--json');
    expect(JSON.parse(none.stdout)).toMatchObject({ calls: 0, changes: [] });
  });

  it('refuses a bad --since and an invalid candidate, saying why', () => {
    const since = airlock('replay', '--policy', livePolicy, '--since', 'last tuesday');
    expect(since.status).toBe(1);
    expect(since.stderr).toContain('--since: expected a duration ("7d") or an ISO time, got "last tuesday"');
    const bad = writeJson(join(dir, 'bad.json'), { version: '1', default: 'maybe' });
    const invalid = airlock('replay', '--policy', bad);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('bad.json: /default');
  });
});
