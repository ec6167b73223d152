import { describe, expect, it } from 'vitest';
import { auditConfig, quietLog } from '../../test/helpers/audit.js';
import { tempDir } from '../../test/helpers/paths.js';
import { AuditEventSchema, AuditLog, type AuditSource } from '../audit/index.js';
import { callStory, loadCallEvents, renderStory } from './story.js';

const identity = { grant: 'ci-agent', session: 's-1', server: 'mlflow', tool: 'copy_model_version' };
const APPROVAL = 'apr_abcdefghijklmnopqrst';

/**
 * Two gateway processes writing to one audit directory (two chains): the first holds the call,
 * the second is where the approver's click landed, so the decision is in the other chain and
 * under the approval id, not the call id. Plus a second call and an unrelated one.
 */
async function twoProcesses(): Promise<{ source: AuditSource; callId: string; attachedId: string }> {
  const dir = tempDir();
  const holder = AuditLog.open({ config: auditConfig(dir), log: quietLog });
  const other = AuditLog.open({ config: auditConfig(dir), log: quietLog });
  const args = { src_model_name: 'fraud', dst_model_name: 'fraud-prod', api_token: 'sk-live-secret-123' };
  const trail = holder.call({ ...identity, args });
  void trail.emit('call.received');
  await trail.emit('policy.decided', {
    rule: '/tools/copy_model_version',
    action: 'require_approval',
    reason: 'Promotes a model <version>',
    risk: { category: 'write', level: 'medium', open_world: false },
  });
  trail.setApproval(APPROVAL);
  await trail.emit('approval.requested', {
    rule: '/tools/copy_model_version',
    expires_at: '2026-08-01T12:15:00.000Z',
    approvers: ['U0APPROVER1'],
    attached: false,
  });
  // A second call with the same arguments attaches to the same approval.
  const attached = other.call({ ...identity, session: 's-2', args });
  void attached.emit('call.received');
  await attached.emit('policy.decided', { rule: '/tools/copy_model_version', action: 'require_approval' });
  attached.setApproval(APPROVAL);
  await attached.emit('approval.requested', {
    rule: '/tools/copy_model_version',
    expires_at: '2026-08-01T12:15:00.000Z',
    attached: true,
  });
  await other
    .approval({ approval_id: APPROVAL, grant: identity.grant, server: identity.server, tool: identity.tool, args })
    .emit('approval.decided', {
      decision: 'approved',
      approver: 'U0APPROVER1',
      // Decided now: its event is written later (when the approval's job completes), its place is this moment.
      decided_at: new Date().toISOString(),
    });
  const unrelated = holder.call({ ...identity, tool: 'get_run', args: { run_id: 'r1' } });
  void unrelated.emit('call.received');
  await unrelated.emit('policy.decided', { rule: '/tools/get_*', action: 'allow' });
  await trail.emit('call.forwarded');
  await trail.emit('call.outcome', { outcome: 'ok', approver: 'U0APPROVER1', duration_ms: 42.4 });
  await holder.close();
  await other.close();
  return { source: { kind: 'file', chains: { dir } }, callId: trail.callId, attachedId: attached.callId };
}

describe("a call's story", () => {
  it('gathers the call and its approval trail from every chain, in order, with who decided and the outcome', async () => {
    const { source, callId } = await twoProcesses();
    const events = await loadCallEvents(source, callId);
    for (const e of events) AuditEventSchema.parse(e);
    const story = callStory(events, callId);
    expect(story.found).toBe(true);
    expect(story).toMatchObject({
      grant: 'ci-agent',
      session: 's-1',
      server: 'mlflow',
      tool: 'copy_model_version',
      approvalIds: [APPROVAL],
      args: { src_model_name: 'fraud', dst_model_name: 'fraud-prod', api_token: '[redacted]' },
      argsTruncated: false,
      outcome: { outcome: 'ok', durationMs: 42.4 },
    });
    // The attached call's own events are not this call's; the approval's decision is.
    expect(story.steps.map((s) => s.type)).toEqual([
      'call.received',
      'policy.decided',
      'approval.requested',
      'approval.requested',
      'approval.decided',
      'call.forwarded',
      'call.outcome',
    ]);
    const [, decided, requested, attachedRequest, approved, , outcome] = story.steps;
    expect(decided).toMatchObject({ title: 'Policy: require_approval', tone: 'waiting' });
    expect(decided!.details).toEqual([
      { label: 'Rule', value: '/tools/copy_model_version' },
      { label: 'Reason', value: 'Promotes a model <version>' },
      { label: 'Risk', value: 'write, medium risk' },
    ]);
    expect(requested).toMatchObject({ title: 'Approval requested', approvalId: APPROVAL });
    expect(requested!.details).toContainEqual({ label: 'Approvers', value: 'U0APPROVER1' });
    expect(attachedRequest).toMatchObject({ title: 'Attached to a pending approval' });
    expect(attachedRequest!.otherCallId).toMatch(/^call_/);
    expect(approved).toMatchObject({ title: 'Approved by U0APPROVER1', tone: 'ok' });
    expect(outcome).toMatchObject({ title: 'Outcome: ok in 42 ms', tone: 'ok' });
    expect(outcome!.details).toContainEqual({ label: 'Approved by', value: 'U0APPROVER1' });
    expect(JSON.stringify(story)).not.toContain('sk-live-secret-123');
  });

  it("an approval id's story is that of every call that waited on it, the first call's steps unmarked", async () => {
    const { source, callId, attachedId } = await twoProcesses();
    const story = callStory(await loadCallEvents(source, APPROVAL), APPROVAL);
    expect(story).toMatchObject({
      found: true,
      grant: 'ci-agent',
      tool: 'copy_model_version',
      approvalIds: [APPROVAL],
    });
    // The first call's steps are the story's own; the attached call's and the engine's are marked.
    expect(new Set(story.steps.map((s) => s.otherCallId))).toEqual(new Set([undefined, attachedId]));
    expect(story.steps.filter((s) => s.type === 'approval.decided')).toHaveLength(1);
    // Both calls' received and decided events; the decision before the release of the first.
    expect(story.steps.filter((s) => s.type === 'call.received').map((s) => s.otherCallId)).toEqual([
      undefined,
      attachedId,
    ]);
    const types = story.steps.map((s) => s.type);
    expect(types.indexOf('approval.decided')).toBeLessThan(types.indexOf('call.forwarded'));
    expect(story.steps.filter((s) => s.type === 'call.outcome').map((s) => s.otherCallId)).toEqual([undefined]);
    expect(story.outcome).toMatchObject({ outcome: 'ok' });
    expect(story.steps.some((s) => s.otherCallId === callId)).toBe(false);
  });

  it('renders a timeline: escaped text, machine-readable times, links to the approval and other calls', async () => {
    const { source, callId } = await twoProcesses();
    const view = callStory(await loadCallEvents(source, callId), callId);
    const page = renderStory(view, { title: 'Call', user: 'alice', csrf: 't0k' }).text;
    expect(page).toContain('<ol class="timeline">');
    expect(page.match(/<li class="step /g)).toHaveLength(7);
    expect(page).toContain('Promotes a model &lt;version&gt;');
    expect(page).not.toContain('<version>');
    expect(page).toContain(`href="/console/calls/${APPROVAL}"`);
    expect(page).toContain(`<time datetime="${view.steps[0]!.time}">`);
    expect(page).toContain('&quot;api_token&quot;: &quot;[redacted]&quot;');
    const order = [
      'Received',
      'Policy: require_approval',
      'Approved by U0APPROVER1',
      'Forwarded to the upstream',
      'Outcome: ok in 42 ms',
    ];
    const at = order.map((t) => page.indexOf(t));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('says so when no event has the id', async () => {
    const { source } = await twoProcesses();
    const view = callStory(await loadCallEvents(source, 'call_nope'), 'call_nope');
    expect(view.found).toBe(false);
    expect(renderStory(view, { title: 'Call', user: 'a' }).text).toContain('No audit events for this call');
  });
});
