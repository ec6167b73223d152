import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { writeGatewayConfig } from '../helpers/config.js';
import { connectHttp, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, ROOT, tempDir, upstreams } from '../helpers/paths.js';
import { STANDIN_DESTRUCTIVE_TOOLS } from '../helpers/standin.js';

// `airlock init`, `explain` and `check --against` on the MLflow stand-in (mlflow-mcp 0.4's 40
// tools, byte for byte), through the real CLI; the generated policies through a real gateway.
const TOKEN = 'policy-init-agent-token-0123456789';
const APPROVER = 'U0DEMOAPPROVER';
const dir = tempDir();
const seed = join(ROOT, 'policies', 'mlflow.json');
const standin = upstreams.standin(['--state', join(dir, 'mlflow-state.json')]);
const configWith = (policy: string, name: string) =>
  writeGatewayConfig(
    dir,
    { upstreams: { mlflow: standin }, policy, grants: [{ name: 'agent', token: TOKEN, hold: '1s' }] },
    { name },
  );
const seedConfig = configWith(seed, 'seed');

function airlock(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });
}

const gateways: GatewayProcess[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
});

/** A gateway on the policy `init` writes for `profile`, and a real client of it. */
async function gatewayFor(profile: string): Promise<Client & { auditFile: string }> {
  const out = join(dir, `${profile}.json`);
  const run = airlock('init', '--config', seedConfig, '--profile', profile, '--approvers', APPROVER, '--out', out);
  expect(run.status, run.stderr).toBe(0);
  const gateway = await startGateway({ config: configWith(out, profile) });
  gateways.push(gateway);
  return Object.assign(await connectHttp(gateway.mcpUrl, TOKEN), { auditFile: gateway.auditFile! });
}

const status = (result: unknown) => (result as { structuredContent?: { status?: string } }).structuredContent?.status;

describe('airlock init', () => {
  it('writes the committed policies/mlflow.generated.json for the stand-in, and check accepts it', () => {
    const run = airlock('init', '--config', seedConfig, '--upstream', 'mlflow', '--approvers', APPROVER);
    expect(run.status, run.stderr).toBe(0);
    const committed = JSON.parse(readFileSync(join(ROOT, 'policies', 'mlflow.generated.json'), 'utf8')) as {
      servers: { mlflow: { tools: Record<string, { action: string; reason: string }> } };
    };
    // Printed (not written to a file) it has no $schema; otherwise it is the committed one.
    const { $schema, ...rest } = committed as typeof committed & { $schema?: string };
    expect($schema).toBe('./policy.schema.json');
    expect(JSON.parse(run.stdout)).toEqual(rest);
    const rules = committed.servers.mlflow.tools;
    expect(Object.keys(rules)).toHaveLength(40);
    const byAction = (action: string) => Object.keys(rules).filter((t) => rules[t]!.action === action);
    expect(byAction('allow')).toHaveLength(34);
    expect(byAction('require_approval').sort()).toEqual([...STANDIN_DESTRUCTIVE_TOOLS]);
    expect(rules['copy_model_version']).toMatchObject({ rate_limit: { max: 30, window: 'minute' } });
    expect(rules['get_experiments']!.reason).toMatch(/^read, low risk: /);
    expect(rules['delete_run']!.reason).toMatch(/^destructive, high risk: /);

    const check = airlock('check', join(ROOT, 'policies', 'mlflow.generated.json'), '--config', seedConfig);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toMatch(
      /mlflow\s+copy_model_version\s+write\/medium\s+allow\s+mlflow:copy_model_version 30\/minute per grant/,
    );
    expect(check.stdout).toMatch(
      /mlflow\s+delete_run\s+destructive\/high\s+require_approval\s+-\s+1 of U0DEMOAPPROVER/,
    );
    expect(check.stdout.match(/^mlflow\s/gm)).toHaveLength(40);
    expect(check.stdout).not.toContain('warning:');
  });

  it('behaves as the strict profile says through a real client: reads pass, writes are limited, deletes denied', async () => {
    const client = await gatewayFor('strict');
    const read = await client.callTool({ name: 'get_experiments', arguments: {} });
    expect(read.isError).toBeFalsy();
    const denied = await client.callTool({ name: 'delete_run', arguments: { run_id: 'r1' } });
    expect(denied).toMatchObject({ isError: true, structuredContent: { status: 'denied' } });
    expect(JSON.stringify(denied.content)).toContain('strict profile denies destructive tools');
    const decided = readFileSync(client.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((e) => e['type'] === 'policy.decided' && e['tool'] === 'delete_run');
    expect(decided).toMatchObject({
      action: 'deny',
      risk: { category: 'destructive', level: 'high', open_world: false },
    });
    const tag = { experiment_id: '1', key: 'k', value: 'v' };
    const tags = [];
    for (let i = 0; i < 31; i++) tags.push(await client.callTool({ name: 'set_experiment_tag', arguments: tag }));
    expect(tags.slice(0, 30).map(status)).not.toContain('rate_limited');
    expect(tags[30]).toMatchObject({ isError: true, structuredContent: { status: 'rate_limited', max: 30 } });
  });

  it('behaves as the balanced profile says: destructive calls wait for a human', async () => {
    const client = await gatewayFor('balanced');
    const held = await client.callTool({ name: 'delete_run', arguments: { run_id: 'r1' } });
    expect(status(held)).toBe('pending');
    const copy = await client.callTool({
      name: 'copy_model_version',
      arguments: { src_model_name: 'fraud-detector-dev', src_version: '1', dst_model_name: 'fraud-detector-staging' },
    });
    expect(copy.isError).toBeFalsy();
  });

  it('behaves as the permissive profile says: destructive calls pass under a tight limit', async () => {
    const client = await gatewayFor('permissive');
    const deleted = await client.callTool({
      name: 'delete_run',
      arguments: { run_id: '1f32c67417521274adcdd67899f54a0f' },
    });
    expect(status(deleted)).not.toBe('denied');
    expect(status(deleted)).not.toBe('pending');
    const policy = JSON.parse(readFileSync(join(dir, 'permissive.json'), 'utf8')) as {
      servers: { mlflow: { tools: Record<string, unknown> } };
    };
    expect(policy.servers.mlflow.tools['delete_run']).toMatchObject({ rate_limit: { max: 10, window: 'hour' } });
  });

  it('refuses what it cannot do well, saying why and writing nothing', () => {
    const noApprovers = airlock('init', '--config', seedConfig);
    expect(noApprovers.status).toBe(1);
    expect(noApprovers.stderr).toMatch(/balanced profile holds 6 tool\(s\) for approval .*--approvers U…,S…/);
    const existing = join(dir, 'existing.json');
    writeFileSync(existing, '{"keep": true}');
    const refused = airlock('init', '--config', seedConfig, '--profile', 'strict', '--out', existing);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('exists: pass --force to replace it');
    expect(readFileSync(existing, 'utf8')).toBe('{"keep": true}');
    const unknown = airlock('init', '--config', seedConfig, '--upstream', 'nope', '--profile', 'strict');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no upstream named "nope" in the config (its upstreams: mlflow)');
    const badProfile = airlock('init', '--config', seedConfig, '--profile', 'lax');
    expect(badProfile.status).not.toBe(0);
    expect(badProfile.stderr).toMatch(/Allowed choices are strict, balanced, permissive/);
  });
});

describe('airlock explain', () => {
  it("shows a tool's purpose, arguments, class and why, the rule now and the one recommended", () => {
    const run = airlock('explain', 'copy_model_version', '--config', seedConfig);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('mlflow/copy_model_version');
    expect(run.stdout).toContain('Promote a model version to another registered model');
    expect(run.stdout).toMatch(/dst_model_name\s+required\s+string\s+Destination registered model name/);
    expect(run.stdout).toContain('Risk: write, medium risk (confidence medium, from its name)');
    expect(run.stdout).toMatch(/mlflow\.json \(grants without their own policy\): require_approval/);
    expect(run.stdout).toContain('by /tools/copy_model_version: Promotes a model version');
    expect(run.stdout).toContain('Recommended (balanced profile): allow, at most 30 a minute per grant');
    const json = JSON.parse(airlock('explain', 'mlflow/delete_run', '--config', seedConfig, '--json').stdout);
    expect(json).toMatchObject({
      server: 'mlflow',
      tool: 'delete_run',
      risk: { category: 'destructive', level: 'high', source: 'annotations' },
      rules: [{ rule: '/tools/delete_*', effect: 'deny' }],
      recommended: { profile: 'balanced', rule: { action: 'require_approval' } },
    });
  });

  it('names the closest tools for a misspelt one', () => {
    const run = airlock('explain', 'delete_rn', '--config', seedConfig);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no upstream tool is called "delete_rn" (did you mean delete_run?)');
  });
});

describe('airlock check --against', () => {
  it('lists exactly the tools whose effective decision changes', () => {
    const candidate = JSON.parse(readFileSync(seed, 'utf8')) as {
      tools: Record<string, { action?: string; reason?: string; approval?: unknown; limits?: { max: number }[] }>;
    };
    candidate.tools['delete_*'] = { action: 'require_approval', approval: { approvers: [APPROVER] } };
    candidate.tools['set_*_tag']!.limits![0]!.max = 30;
    candidate.tools['health'] = { reason: 'the same decision under a new reason is no change' };
    const file = join(dir, 'candidate.json');
    writeFileSync(file, JSON.stringify({ ...candidate, $schema: undefined }));
    const run = airlock('check', file, '--against', seed, '--config', seedConfig, '--json');
    expect(run.status, run.stderr).toBe(0);
    const { changes } = JSON.parse(run.stdout) as { changes: { tool: string }[] };
    expect(changes.map((c) => c.tool).sort()).toEqual([
      'delete_experiment',
      'delete_model_alias',
      'delete_model_version',
      'delete_registered_model',
      'delete_run',
      'set_experiment_tag',
      'set_registered_model_tag',
      'set_run_tag',
    ]);
    const text = airlock('check', file, '--against', seed, '--config', seedConfig).stdout;
    expect(text).toContain('valid; 8 of 40 tools change');
    expect(text).toMatch(
      /mlflow\s+delete_run\s+destructive\/high\s+deny \(\/tools\/delete_\*\)\s+require_approval; all_calls 600\/minute per grant; 1 of U0DEMOAPPROVER, expires 15m \(\/tools\/delete_\*\)/,
    );
    expect(airlock('check', seed, '--against', seed, '--config', seedConfig).stdout).toContain(
      'valid; 0 of 40 tools change',
    );
  });
});
