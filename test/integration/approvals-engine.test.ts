import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApprovalError, type ApprovalEngine, type ApprovalError } from '../../src/approvals/index.js';
import {
  approvalInput,
  approvalRule,
  nextEvent,
  randomPrefix,
  releaseRecorder,
  startEngine,
} from '../helpers/approvals.js';
import { waitFor } from '../helpers/gateway.js';
import { testRedis } from '../helpers/test-redis.js';

const redisUrl = testRedis();
const prefix = randomPrefix();
const recorder = releaseRecorder();
const groups: Record<string, string[]> = { S0PLATFORM: ['U0GROUPIE'] };
let a: ApprovalEngine;
let b: ApprovalEngine;

beforeAll(async () => {
  const resolveGroupMembers = async (id: string) => groups[id] ?? [];
  a = await startEngine({ redisUrl, prefix, releaseReservation: recorder.releaseReservation, resolveGroupMembers });
  b = await startEngine({ redisUrl, prefix, releaseReservation: recorder.releaseReservation, resolveGroupMembers });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

async function refusal(promise: Promise<unknown>): Promise<ApprovalError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isApprovalError(error)) throw new Error(`expected an ApprovalError, got ${String(error)}`);
  return error;
}

describe('decide', () => {
  it('lets exactly one of many concurrent deciders win; the others learn who decided and when', async () => {
    const approvers = Array.from({ length: 24 }, (_, i) => `U0A${i}`);
    const { approval } = await a.request(approvalInput({ approval: approvalRule({ approvers }) }));
    const results = await Promise.allSettled(
      approvers.map((who, i) => (i % 2 === 0 ? a : b).decide(approval.id, i % 3 === 0 ? 'deny' : 'approve', who, 'r')),
    );
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const final = await a.get(approval.id);
    expect(['approved', 'denied']).toContain(final.state);
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      const error = r.reason as ApprovalError;
      expect(error.code).toBe('already_decided');
      expect(error.details.alreadyDecided).toEqual({
        state: final.state,
        decidedBy: final.decidedBy,
        decidedAt: final.decidedAt,
      });
      expect(error.message).toContain(`by ${final.decidedBy} at`);
    }
  });

  it('counts distinct approvers towards min_approvals (the same one twice counts once)', async () => {
    const { approval } = await a.request(approvalInput({ approval: approvalRule({ minApprovals: 2 }) }));
    expect((await a.decide(approval.id, 'approve', 'U0APPROVER')).effect).toBe('approval_counted');
    const again = await b.decide(approval.id, 'approve', 'U0APPROVER');
    expect(again.effect).toBe('already_approved_by_you');
    expect(again.approval.state).toBe('pending');
    const done = await b.decide(approval.id, 'approve', 'U0OTHER');
    expect(done.effect).toBe('approved');
    expect(done.approval.approvals.map((x) => x.approver)).toEqual(['U0APPROVER', 'U0OTHER']);
    expect(done.approval.decidedBy).toBe('U0OTHER');
  });

  it('ends a min_approvals 2 approval at the first denial, even after one approval', async () => {
    const { approval } = await a.request(
      approvalInput({ approval: approvalRule({ minApprovals: 2 }), reservation: { r: 'deny-after-approve' } }),
    );
    await a.decide(approval.id, 'approve', 'U0APPROVER');
    const denied = await b.decide(approval.id, 'deny', 'U0OTHER', 'not today');
    expect(denied.effect).toBe('denied');
    expect(denied.approval).toMatchObject({ state: 'denied', decidedBy: 'U0OTHER', decisionReason: 'not today' });
    expect(recorder.released.filter((r) => JSON.stringify(r) === '{"r":"deny-after-approve"}')).toHaveLength(1);
  });

  it('admits an approver through a group the resolver knows, and refuses everybody else', async () => {
    const { approval } = await a.request(approvalInput({ approval: approvalRule({ approvers: ['S0PLATFORM'] }) }));
    const refused = await refusal(a.decide(approval.id, 'approve', 'U0STRANGER'));
    expect(refused.code).toBe('not_an_approver');
    expect(refused.message).toContain('S0PLATFORM');
    expect((await a.get(approval.id)).state).toBe('pending');
    expect((await b.decide(approval.id, 'approve', 'U0GROUPIE')).effect).toBe('approved');
  });

  it("refuses the grant owner's approval of its own agent's call, but lets the owner deny it", async () => {
    const rule = approvalRule({ approvers: ['U0OWNER', 'U0APPROVER'] });
    const first = (await a.request(approvalInput({ approval: rule }))).approval;
    expect((await refusal(a.decide(first.id, 'approve', 'U0OWNER'))).code).toBe('self_approval_forbidden');
    expect((await a.decide(first.id, 'deny', 'U0OWNER', 'changed my mind')).effect).toBe('denied');

    const allowed = (await a.request(approvalInput({ approval: { ...rule, allowSelfApproval: true } }))).approval;
    expect((await a.decide(allowed.id, 'approve', 'U0OWNER')).effect).toBe('approved');
  });

  it('says approval_not_found for an unknown id', async () => {
    expect((await refusal(a.decide('apr_aaaaaaaaaaaaaaaaaaaa', 'approve', 'U0APPROVER'))).code).toBe(
      'approval_not_found',
    );
  });
});

describe('request', () => {
  it('re-attaches a call with the same fingerprint (keys in any order) and opens a new approval for other arguments', async () => {
    const requested: string[] = [];
    const onRequested = (v: { id: string }) => requested.push(v.id);
    a.events.on('requested', onRequested);
    const input = approvalInput({ args: { b: 2, a: { y: [1, 2], x: 'z' } }, reservation: { r: 'first' } });
    const first = await a.request(input);
    const again = await b.request({ ...input, args: { a: { x: 'z', y: [1, 2] }, b: 2 }, reservation: { r: 'retry' } });
    const other = await a.request({ ...input, args: { a: { x: 'z', y: [2, 1] }, b: 2 } });
    a.events.off('requested', onRequested);
    expect(first.kind).toBe('created');
    expect(again).toMatchObject({ kind: 'attached', approval: { id: first.approval.id } });
    expect(other.kind).toBe('created');
    expect(other.approval.id).not.toBe(first.approval.id);
    expect(requested).toEqual([first.approval.id, other.approval.id]);
    // The retry's own reservation is returned at once: only one upstream call can come of it.
    expect(recorder.released).toContainEqual({ r: 'retry' });
    expect(recorder.released).not.toContainEqual({ r: 'first' });
  });

  it('delivers a denial to the next identical call once, then opens a new approval', async () => {
    const input = approvalInput();
    const { approval } = await a.request(input);
    await b.decide(approval.id, 'deny', 'U0APPROVER', 'no');
    const collect = await a.request(input);
    expect(collect).toMatchObject({ kind: 'attached', approval: { id: approval.id, state: 'denied' } });
    expect(await a.markCollected(approval.id)).toBe(true);
    expect(await b.markCollected(approval.id)).toBe(false);
    const fresh = await a.request(input);
    expect(fresh.kind).toBe('created');
    expect(fresh.approval.id).not.toBe(approval.id);
  });

  it('refuses calls beyond max_pending for the grant, releasing their reservation', async () => {
    const grant = 'looping-agent';
    const first = await a.request(approvalInput({ grant, maxPending: 2 }));
    await b.request(approvalInput({ grant, maxPending: 2 }));
    const refused = await refusal(a.request(approvalInput({ grant, maxPending: 2, reservation: { r: 'over-max' } })));
    expect(refused.code).toBe('max_pending_reached');
    expect(refused.details.maxPending).toEqual({ grant, maxPending: 2, pending: 2 });
    expect(refused.message).toContain('max_pending 2');
    expect(recorder.released).toContainEqual({ r: 'over-max' });
    await a.decide(first.approval.id, 'approve', 'U0APPROVER');
    expect((await a.request(approvalInput({ grant, maxPending: 2 }))).kind).toBe('created');
  });
});

describe('expiry and withdrawal', () => {
  it('expires an undecided approval through the BullMQ delay, releasing its reservation exactly once', async () => {
    const expiredIn: string[] = [];
    const onA = () => expiredIn.push('a');
    const onB = () => expiredIn.push('b');
    a.events.on('expired', onA);
    b.events.on('expired', onB);
    const reservation = { r: `expiry-${Date.now()}` };
    const { approval } = await a.request(
      approvalInput({ approval: approvalRule({ timeout: '1s', timeoutMs: 1_000 }), reservation }),
    );
    const view = await a.waitForChange(approval.id, approval.version, { deadline: Date.now() + 10_000 });
    expect(view.state).toBe('expired');
    expect(view.decidedAt! - view.expiresAt).toBeLessThan(1_000);
    await waitFor(
      async () => (await a.jobState(approval.id))?.state === 'completed',
      5_000,
      'the expiry job to complete',
    );
    expect(await a.jobState(approval.id)).toEqual({ state: 'completed', returnValue: { state: 'expired' } });
    expect(recorder.released.filter((r) => JSON.stringify(r) === JSON.stringify(reservation))).toHaveLength(1);
    expect(expiredIn).toHaveLength(1);
    const late = await refusal(b.decide(approval.id, 'approve', 'U0APPROVER'));
    expect(late.code).toBe('already_decided');
    expect(late.message).toContain('expired at');
    expect(late.message).toContain('no decision within 1s');
    a.events.off('expired', onA);
    b.events.off('expired', onB);
  });

  it('withdraws a pending approval; the job completes and later decisions are refused', async () => {
    const reservation = { r: 'withdrawn' };
    const { approval } = await a.request(approvalInput({ reservation }));
    const withdrawn = await b.withdraw(approval.id, 'cli:ops', 'agent misbehaving');
    expect(withdrawn).toMatchObject({ state: 'withdrawn', decidedBy: 'cli:ops', decisionReason: 'agent misbehaving' });
    expect(recorder.released).toContainEqual(reservation);
    await waitFor(
      async () => (await a.jobState(approval.id))?.state === 'completed',
      5_000,
      'the job to complete after promote',
    );
    expect((await refusal(a.decide(approval.id, 'approve', 'U0APPROVER'))).message).toContain('withdrawn by cli:ops');
    expect((await refusal(a.withdraw(approval.id, 'x'))).code).toBe('already_decided');
  });

  it('leaves the release to the workers when the deciding process has no releaser (the CLI)', async () => {
    const cli = await startEngine({ redisUrl, prefix, processJobs: false });
    try {
      const reservation = { r: `cli-deny-${Date.now()}` };
      const { approval } = await a.request(approvalInput({ reservation }));
      await cli.decide(approval.id, 'deny', 'U0APPROVER', 'from the CLI');
      await waitFor(
        () => recorder.released.some((r) => JSON.stringify(r) === JSON.stringify(reservation)),
        5_000,
        'the worker to release',
      );
      await waitFor(async () => (await a.jobState(approval.id))?.state === 'completed', 5_000, 'the job to complete');
      expect(recorder.released.filter((r) => JSON.stringify(r) === JSON.stringify(reservation))).toHaveLength(1);
    } finally {
      await cli.close();
    }
  });
});

describe('list and events', () => {
  it('lists by grant and state, newest first, and emits decided in the deciding process only', async () => {
    const grant = 'lister';
    const heardInB = new Set<string>();
    const onChangeInB = (change: { id: string }) => heardInB.add(change.id);
    b.events.on('change', onChangeInB);
    const one = await a.request(approvalInput({ grant }));
    const two = await a.request(approvalInput({ grant }));
    // b may hear of them after a's reply (on a Redis Cluster, the events cross the cluster bus
    // when b's subscriber is on another node): let it, so the next change it hears is the decision.
    await waitFor(() => heardInB.has(two.approval.id), 5_000, 'b to hear of both approvals');
    b.events.off('change', onChangeInB);
    const decidedInA = nextEvent<{ approval: { id: string }; final: boolean }>(a.events, 'decided');
    let decidedInB = 0;
    const onB = () => decidedInB++;
    b.events.on('decided', onB);
    const change = nextEvent<{ id: string; state: string }>(b.events, 'change');
    await a.decide(one.approval.id, 'approve', 'U0APPROVER');
    expect((await decidedInA).approval.id).toBe(one.approval.id);
    expect(await change).toMatchObject({ id: one.approval.id, state: 'approved' });
    expect(decidedInB).toBe(0);
    b.events.off('decided', onB);
    expect((await b.list({ grant })).map((v) => v.id)).toEqual([two.approval.id, one.approval.id]);
    expect((await b.list({ grant, state: 'pending' })).map((v) => v.id)).toEqual([two.approval.id]);
  });
});
