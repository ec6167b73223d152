import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdForDecision, type ApprovalEngine, type HoldOutcome } from '../../src/approvals/index.js';
import { approvalInput, approvalRule, randomPrefix, releaseRecorder, startEngine } from '../helpers/approvals.js';
import { stopProcess, waitFor } from '../helpers/gateway.js';
import { ROOT } from '../helpers/paths.js';
import { testRedis, testRedisEnv } from '../helpers/test-redis.js';

const redisUrl = testRedis();
const prefix = randomPrefix();
const recorder = releaseRecorder();
let holder: ApprovalEngine;
let other: ApprovalEngine;

beforeAll(async () => {
  // Two process-like instances: each has its own connections, subscriber and worker.
  holder = await startEngine({ redisUrl, prefix, releaseReservation: recorder.releaseReservation, leaseMs: 600 });
  other = await startEngine({ redisUrl, prefix, releaseReservation: recorder.releaseReservation, leaseMs: 600 });
});

afterAll(async () => {
  await holder?.close();
  await other?.close();
});

function upstream(result: unknown = { content: [{ type: 'text', text: 'copied' }] }) {
  const calls: number[] = [];
  return { calls, execute: async () => (calls.push(Date.now()), { result, isError: false }) };
}

/** Resolves with the approval id once the hold has opened (or re-attached to) it. */
function requestedId(): { onRequest: (r: { approval: { id: string } }) => void; id: Promise<string> } {
  let resolve!: (id: string) => void;
  const id = new Promise<string>((r) => (resolve = r));
  return { onRequest: (r) => resolve(r.approval.id), id };
}

describe('holdForDecision', () => {
  it('runs the call as soon as another instance approves it (event-driven wake-up)', async () => {
    const up = upstream();
    const seen = requestedId();
    const hold = holdForDecision({
      engine: holder,
      input: approvalInput(),
      holdMs: 10_000,
      execute: up.execute,
      onRequest: seen.onRequest,
    });
    const id = await seen.id;
    await waitFor(async () => (await holder.get(id)).state === 'pending', 2_000, 'pending');
    const { approval } = await other.decide(id, 'approve', 'U0APPROVER');
    const outcome = await hold;
    expect(outcome).toMatchObject({
      kind: 'executed',
      ranNow: true,
      isError: false,
      result: { content: [{ text: 'copied' }] },
    });
    expect(up.calls).toHaveLength(1);
    // decidedAt is the Redis clock of the same machine: from the decision's commit to execute().
    const latency = up.calls[0]! - approval.decidedAt!;
    console.log(
      `approval wake-up latency: ${latency} ms (decision committed → execute() called in the holding instance)`,
    );
    expect(latency).toBeLessThan(100);
    expect((await other.get(id)).state).toBe('executed');
  });

  it('answers pending when the hold window ends, and a later identical call runs it once approved', async () => {
    const input = approvalInput();
    const up = upstream();
    const first = await holdForDecision({ engine: holder, input, holdMs: 200, execute: up.execute });
    expect(first.kind).toBe('pending');
    const view = (first as Extract<HoldOutcome, { kind: 'pending' }>).view;
    expect(view.state).toBe('pending');
    await other.decide(view.id, 'approve', 'U0APPROVER');
    const retry = await holdForDecision({ engine: other, input, holdMs: 5_000, execute: up.execute });
    expect(retry).toMatchObject({
      kind: 'executed',
      ranNow: true,
      view: { id: view.id, state: 'executed', outcome: 'ok' },
    });
    const third = await holdForDecision({ engine: holder, input, holdMs: 5_000, execute: up.execute });
    expect(third).toMatchObject({ kind: 'executed', ranNow: false, result: { content: [{ text: 'copied' }] } });
    expect(up.calls).toHaveLength(1);
  });

  it('never releases a call whose arguments differ from the approved ones', async () => {
    const input = approvalInput();
    const up = upstream();
    const first = await holdForDecision({ engine: holder, input, holdMs: 50, execute: up.execute });
    await other.decide((first as { view: { id: string } }).view.id, 'approve', 'U0APPROVER');
    const changed = await holdForDecision({
      engine: holder,
      input: { ...input, args: { ...(input.args as object), version: '999' } },
      holdMs: 100,
      execute: up.execute,
    });
    expect(changed.kind).toBe('pending');
    expect((changed as { view: { id: string } }).view.id).not.toBe((first as { view: { id: string } }).view.id);
    expect(up.calls).toHaveLength(0);
  });

  it('calls execute() exactly once across two concurrent holders of the same approval', async () => {
    const input = approvalInput();
    let executions = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const execute = async () => {
      executions++;
      await gate;
      return { result: { content: [{ type: 'text', text: 'once' }] }, isError: false };
    };
    const seen = requestedId();
    const h1 = holdForDecision({ engine: holder, input, holdMs: 10_000, execute, onRequest: seen.onRequest });
    const id = await seen.id;
    const seen2 = requestedId();
    const h2 = holdForDecision({ engine: other, input, holdMs: 10_000, execute, onRequest: seen2.onRequest });
    expect(await seen2.id).toBe(id);
    await other.decide(id, 'approve', 'U0APPROVER');
    await waitFor(() => executions === 1, 5_000, 'one execution to start');
    release();
    const outcomes = await Promise.all([h1, h2]);
    expect(executions).toBe(1);
    expect(outcomes.map((o) => o.kind)).toEqual(['executed', 'executed']);
    expect(outcomes.filter((o) => o.kind === 'executed' && o.ranNow)).toHaveLength(1);
    for (const o of outcomes) expect(o).toMatchObject({ result: { content: [{ text: 'once' }] } });
  });

  it('reports unknown, never a second run, when the executor dies mid-call (its lease runs out)', async () => {
    const input = approvalInput();
    const { approval } = await holder.request(input);
    await other.decide(approval.id, 'approve', 'U0APPROVER');
    const dead = await other.beginExecution(approval.id); // the "executor" that is then killed: never renews, never finishes
    expect(dead.started).toBe(true);
    const up = upstream();
    const outcome = await holdForDecision({ engine: holder, input, holdMs: 5_000, execute: up.execute });
    expect(outcome).toMatchObject({ kind: 'unknown', view: { state: 'executed', outcome: 'unknown' } });
    expect(up.calls).toHaveLength(0);
    const again = await holdForDecision({ engine: other, input, holdMs: 1_000, execute: up.execute });
    expect(again.kind).toBe('unknown');
    expect(up.calls).toHaveLength(0);
  });

  it('sends progress at the configured cadence while pending', async () => {
    const sent: { at: number; message: string }[] = [];
    const outcome = await holdForDecision({
      engine: holder,
      input: approvalInput({ approval: approvalRule({ approvers: ['U0123ABCD'], channel: '#ml-approvals' }) }),
      holdMs: 560,
      progressEveryMs: 100,
      progress: async (message) => void sent.push({ at: Date.now(), message }),
      execute: upstream().execute,
    });
    expect(outcome.kind).toBe('pending');
    // Sent at once, then every 100 ms until the 560 ms window closes: 6 (fewer only on a starved machine).
    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.length).toBeLessThanOrEqual(6);
    const gaps = sent.slice(1).map((s, i) => s.at - sent[i]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(95);
    for (const gap of gaps) expect(gap).toBeLessThan(300);
    expect(sent[0]!.message).toMatch(
      /^Awaiting approval by U0123ABCD \(1 of 1 needed\) in #ml-approvals; expires (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC; approval apr_[a-z2-7]{20}$/,
    );
  });

  it('detaches on abort; the approval stays decidable and a later call collects it', async () => {
    const input = approvalInput();
    const controller = new AbortController();
    const up = upstream();
    const seen = requestedId();
    const hold = holdForDecision({
      engine: holder,
      input,
      holdMs: 10_000,
      signal: controller.signal,
      execute: up.execute,
      onRequest: seen.onRequest,
    });
    const id = await seen.id;
    controller.abort();
    expect(await hold).toMatchObject({ kind: 'detached' });
    expect((await other.decide(id, 'approve', 'U0APPROVER')).effect).toBe('approved');
    expect(up.calls).toHaveLength(0);
    expect(await holdForDecision({ engine: other, input, holdMs: 1_000, execute: up.execute })).toMatchObject({
      kind: 'executed',
      ranNow: true,
    });
  });

  it('returns a denial decided during the hold, rolls the reservation back, then frees the fingerprint', async () => {
    const reservation = { r: `hold-deny-${Date.now()}` };
    const input = approvalInput({ reservation });
    const up = upstream();
    const seen = requestedId();
    const hold = holdForDecision({
      engine: holder,
      input,
      holdMs: 10_000,
      execute: up.execute,
      onRequest: seen.onRequest,
    });
    const id = await seen.id;
    await other.decide(id, 'deny', 'U0APPROVER', 'wrong target');
    expect(await hold).toMatchObject({
      kind: 'denied',
      view: { id, decidedBy: 'U0APPROVER', decisionReason: 'wrong target' },
    });
    expect(recorder.released.filter((r) => JSON.stringify(r) === JSON.stringify(reservation))).toHaveLength(1);
    expect(up.calls).toHaveLength(0);
    const next = await holder.request(input);
    expect(next.kind).toBe('created');
  });

  it('returns expired (not denied) when nobody decides before the timeout', async () => {
    const outcome = await holdForDecision({
      engine: holder,
      input: approvalInput({ approval: approvalRule({ timeout: '1s', timeoutMs: 1_000 }) }),
      holdMs: 5_000,
      execute: upstream().execute,
    });
    expect(outcome).toMatchObject({ kind: 'expired', view: { state: 'expired', timeout: '1s' } });
  });
});

describe('a holder process killed mid-call', () => {
  it('leaves the outcome unknown and nobody runs the call again', async () => {
    const input = approvalInput();
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'fixtures', 'approval-holder.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...testRedisEnv(), PREFIX: prefix, INPUT: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await waitFor(() => /REQUESTED (\S+)/.test(out), 20_000, 'the child to request');
      const id = /REQUESTED (\S+)/.exec(out)![1]!;
      await other.decide(id, 'approve', 'U0APPROVER');
      await waitFor(() => out.includes('EXECUTING'), 10_000, 'the child to execute');
      await stopProcess(child, 'SIGKILL');
      const up = upstream();
      const outcome = await holdForDecision({ engine: holder, input, holdMs: 5_000, execute: up.execute });
      expect(outcome).toMatchObject({ kind: 'unknown', view: { id, state: 'executed', outcome: 'unknown' } });
      expect(up.calls).toHaveLength(0);
    } finally {
      await stopProcess(child, 'SIGKILL');
    }
  });
});
