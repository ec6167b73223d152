import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { holdForDecision, type ApprovalEngine, type ApprovalView } from '../../src/approvals/index.js';
import { DEFAULT_PREFIX } from '../../src/redis/index.js';
import { approvalsCommand } from '../../src/cli/approvals-command.js';
import { approvalInput, approvalRule, releaseRecorder, startEngine } from '../helpers/approvals.js';
import { tempDir, writeJson } from '../helpers/paths.js';
import { removeDir, startTestRedis, type TestRedis } from '../helpers/redis-server.js';

// The CLI uses the default key prefix, so it gets a redis-server of its own.
let redis: TestRedis;
let engine: ApprovalEngine;
let configFile: string;
const recorder = releaseRecorder();

beforeAll(async () => {
  redis = await startTestRedis();
  engine = await startEngine({
    redisUrl: redis.url,
    prefix: DEFAULT_PREFIX,
    releaseReservation: recorder.releaseReservation,
  });
  const dir = tempDir();
  configFile = writeJson(join(dir, 'airlock.config.json'), {
    redis: { url: redis.url },
    upstreams: { mlflow: { command: 'true' } },
    policy: join(dir, 'policy.json'),
    grants: [{ name: 'ci-agent', token: 'test-token-0123456789abcdef', owner: 'U0OWNER' }],
    console: { user: 'U0APPROVER' },
  });
});

afterAll(async () => {
  await engine?.close();
  await redis?.stop();
  if (redis) removeDir(redis.dir);
});

/** Runs `airlock approvals …` in-process; returns what it printed and its exit code. */
async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const command = approvalsCommand();
    for (const sub of [command, ...command.commands]) sub.exitOverride();
    await command.parseAsync([...args, '--config', configFile], { from: 'user' }).catch((error: unknown) => {
      stderr += String(error);
      process.exitCode = 1;
    });
    return { stdout, stderr, code: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = undefined;
    out.mockRestore();
    err.mockRestore();
  }
}

describe('airlock approvals', () => {
  it('lists pending approvals as a table and as JSON, and shows one', async () => {
    const { approval } = await engine.request(
      approvalInput({ args: { src_model_name: 'churn', version: '7', note: 'x'.repeat(200) } }),
    );
    const table = await cli('list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+STATE\s+GRANT\s+TOOL\s+ARGUMENTS\s+AGE\s+EXPIRES/m);
    const row = table.stdout.split('\n').find((l) => l.startsWith(approval.id))!;
    expect(row).toContain('ci-agent');
    expect(row).toContain('mlflow/copy_model_version');
    expect(row).toContain('src_model_name="churn" version="7"');
    expect(row).toMatch(/in 1[45]m \(/);
    expect(row.length).toBeLessThan(300);

    const json = JSON.parse((await cli('list', '--json', '--grant', 'ci-agent')).stdout) as ApprovalView[];
    expect(json.map((v) => v.id)).toContain(approval.id);
    expect((await cli('list', '--grant', 'nobody')).stdout).toContain('no pending approvals');

    const show = await cli('show', approval.id);
    expect(show.stdout).toContain(`id           ${approval.id}`);
    expect(show.stdout).toContain('U0APPROVER, U0OTHER (1 needed)');
    expect(JSON.parse((await cli('show', approval.id, '--json')).stdout)).toMatchObject({
      id: approval.id,
      state: 'pending',
    });
  });

  it('approves as console.user, and the holding process runs the call at once', async () => {
    const input = approvalInput();
    let executed = 0;
    let id = '';
    const hold = holdForDecision({
      engine,
      input,
      holdMs: 10_000,
      onRequest: (r) => (id = r.approval.id),
      execute: async () => (executed++, { result: { content: [{ type: 'text', text: 'ok' }] }, isError: false }),
    });
    await vi.waitFor(() => expect(id).not.toBe(''));
    const approved = await cli('approve', id);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain(`approved ${id}`);
    expect(approved.stdout).toContain('as U0APPROVER');
    expect(await hold).toMatchObject({ kind: 'executed', ranNow: true });
    expect(executed).toBe(1);
    const late = await cli('deny', id, '--as', 'U0OTHER', '--reason', 'too late');
    expect(late.code).toBe(1);
    expect(late.stderr).toContain(`approval ${id} was already approved by U0APPROVER at`);
  });

  it('refuses a non-approver with a clear message and a non-zero exit', async () => {
    const { approval } = await engine.request(approvalInput());
    const refused = await cli('approve', approval.id, '--as', 'U0STRANGER');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('U0STRANGER may not decide approval');
    expect((await engine.get(approval.id)).state).toBe('pending');
    expect((await cli('show', 'apr_aaaaaaaaaaaaaaaaaaaa')).stderr).toContain('no approval apr_aaaaaaaaaaaaaaaaaaaa');
    expect((await cli('list', '--state', 'bogus')).stderr).toContain('--state bogus: expected pending, approved');
  });

  it('denies with a reason (required) and the reservation is rolled back by a gateway worker', async () => {
    const reservation = { r: 'cli-deny' };
    const { approval } = await engine.request(approvalInput({ approval: approvalRule(), reservation }));
    const missing = await cli('deny', approval.id, '--as', 'U0OTHER');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--reason <text>' not specified");
    const denied = await cli('deny', approval.id, '--as', 'U0OTHER', '--reason', 'wrong model');
    expect(denied.stdout).toContain(`denied ${approval.id}`);
    expect(await engine.get(approval.id)).toMatchObject({
      state: 'denied',
      decidedBy: 'U0OTHER',
      decisionReason: 'wrong model',
    });
    await vi.waitFor(() => expect(recorder.released).toContainEqual(reservation), { timeout: 5_000 });
    expect((await cli('list', '--state', 'denied')).stdout).toContain(approval.id);
  });

  it('withdraws a pending approval', async () => {
    const { approval } = await engine.request(approvalInput());
    const withdrawn = await cli('withdraw', approval.id, '--reason', 'agent retired');
    expect(withdrawn.stdout).toContain(`withdrew ${approval.id}`);
    expect(await engine.get(approval.id)).toMatchObject({
      state: 'withdrawn',
      decidedBy: 'U0APPROVER',
      decisionReason: 'agent retired',
    });
    expect((await cli('withdraw', approval.id)).stderr).toContain('was withdrawn by U0APPROVER');
  });

  it('--state approved lists every call a human approved: waiting to run, running or already run', async () => {
    const waiting = (await engine.request(approvalInput())).approval;
    const ran = (await engine.request(approvalInput())).approval;
    for (const id of [waiting.id, ran.id]) await engine.decide(id, 'approve', 'U0APPROVER');
    const begun = await engine.beginExecution(ran.id);
    if (!begun.started) throw new Error('expected to start the execution');
    await engine.finishExecution(ran.id, begun.executor, 'ok', { content: [] });
    expect((await engine.get(ran.id)).state).toBe('executed');

    const approved = JSON.parse((await cli('list', '--state', 'approved', '--json')).stdout) as ApprovalView[];
    expect(approved.map((v) => v.id)).toEqual(expect.arrayContaining([waiting.id, ran.id]));
    const executed = JSON.parse((await cli('list', '--state', 'executed', '--json')).stdout) as ApprovalView[];
    expect(executed.map((v) => v.id)).toContain(ran.id);
    expect(executed.map((v) => v.id)).not.toContain(waiting.id);
  });
});
