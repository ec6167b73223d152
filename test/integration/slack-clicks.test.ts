import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DENY_ACTION, DENY_MODAL, APPROVE_ACTION } from '../../src/slack/index.js';
import { approvalInput, approvalRule } from '../helpers/approvals.js';
import { waitFor } from '../helpers/gateway.js';
import { messageText, SIGNING_SECRET, startSlackHarness, stateOf, type SlackHarness } from '../helpers/slack-bot.js';
import { buttonClick, modalSubmission, postInteraction } from '../helpers/slack-signing.js';

const redisUrl = `unix://${inject('redisPath')}`;
let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness({ redisUrl, slack: { group_cache_ttl: '5m' } });
  h.fake.groups.set('S0PLATFORM', ['U0GROUPIE', 'U0OWNER']);
});

afterAll(async () => {
  await h?.close();
});

async function answered(responseUrl: string): Promise<string> {
  await waitFor(() => h.answers(responseUrl).length > 0, 10_000, 'an ephemeral answer');
  const [text] = h.answers(responseUrl);
  return text!;
}

describe('Approve', () => {
  it('approves, and the message loses its buttons and says who approved and when', async () => {
    const { approval } = await h.engine.request(approvalInput());
    const { status } = await h.click(APPROVE_ACTION, approval.id, 'U0APPROVER');
    expect(status).toBe(200);
    await waitFor(async () => (await stateOf(h.engine, approval.id)) === 'approved', 10_000, 'approved');
    const message = await h.posted(approval.id, (m) => messageText(m).includes('Approved'));
    const view = await h.engine.get(approval.id);
    expect(messageText(message)).toContain(
      `*Approved* by <@U0APPROVER> <!date^${Math.floor(view.decidedAt! / 1_000)}^`,
    );
    expect(messageText(message)).not.toContain('"type":"actions"');
    expect(message.text).toContain('Approved by U0APPROVER');
    expect(message.updates).toBeGreaterThanOrEqual(1);
  });

  it('tells a non-approver "You are not an approver for this call" and decides nothing', async () => {
    const { approval } = await h.engine.request(approvalInput());
    const { responseUrl } = await h.click(APPROVE_ACTION, approval.id, 'U0STRANGER');
    expect(await answered(responseUrl)).toMatch(
      /^You are not an approver for this call\. Approvers: <@U0APPROVER>, <@U0OTHER>\.$/u,
    );
    const ephemeral = h.fake.calls.find((c) => c.path === new URL(responseUrl).pathname)!;
    expect(ephemeral.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(await stateOf(h.engine, approval.id)).toBe('pending');
  });

  it('refuses the grant owner\'s own approval: "Self-approval is not allowed"', async () => {
    const { approval } = await h.engine.request(
      approvalInput({ approval: approvalRule({ approvers: ['U0OWNER', 'U0APPROVER'] }) }),
    );
    const { responseUrl } = await h.click(APPROVE_ACTION, approval.id, 'U0OWNER');
    expect(await answered(responseUrl)).toContain('Self-approval is not allowed');
    expect(await stateOf(h.engine, approval.id)).toBe('pending');
  });

  it('admits a member of an approver user group, and caches the group within its TTL', async () => {
    const before = h.fake.callsOf('usergroups.users.list').length;
    const first = await h.engine.request(approvalInput({ approval: approvalRule({ approvers: ['S0PLATFORM'] }) }));
    const second = await h.engine.request(approvalInput({ approval: approvalRule({ approvers: ['S0PLATFORM'] }) }));
    await h.click(APPROVE_ACTION, first.approval.id, 'U0GROUPIE');
    await waitFor(
      async () => (await stateOf(h.engine, first.approval.id)) === 'approved',
      10_000,
      'approved by the group member',
    );
    await h.click(APPROVE_ACTION, second.approval.id, 'U0GROUPIE');
    await waitFor(async () => (await stateOf(h.engine, second.approval.id)) === 'approved', 10_000, 'second approved');
    const lookups = h.fake.callsOf('usergroups.users.list').slice(before);
    expect(lookups).toHaveLength(1);
    expect(lookups[0]!.body).toMatchObject({ usergroup: 'S0PLATFORM' });
    const message = await h.posted(first.approval.id, (m) => messageText(m).includes('Approved'));
    expect(messageText(message)).toContain('Approvers: <!subteam^S0PLATFORM>');
  });

  it('a double click decides once; the second click is told who decided and the message is refreshed', async () => {
    const { approval } = await h.engine.request(approvalInput());
    const [a, b] = await Promise.all([
      h.click(APPROVE_ACTION, approval.id, 'U0APPROVER'),
      h.click(APPROVE_ACTION, approval.id, 'U0APPROVER'),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await waitFor(
      () => h.answers(a.responseUrl).length + h.answers(b.responseUrl).length > 0,
      10_000,
      'the late click answered',
    );
    const late = [...h.answers(a.responseUrl), ...h.answers(b.responseUrl)];
    expect(late).toHaveLength(1);
    expect(late[0]).toMatch(/^Already approved by <@U0APPROVER> at <!date\^\d+\^\{date_short_pretty\} at \{time\}\|/u);
    const view = await h.engine.get(approval.id);
    expect(view.approvals).toHaveLength(1);
    await h.posted(approval.id, (m) => messageText(m).includes('Approved'));
  });

  it('two approvers at once: exactly one decision; the other learns who decided', async () => {
    const { approval } = await h.engine.request(approvalInput());
    const [approve, deny] = await Promise.all([
      h.click(APPROVE_ACTION, approval.id, 'U0APPROVER'),
      h.click(APPROVE_ACTION, approval.id, 'U0OTHER'),
    ]);
    await waitFor(
      () => h.answers(approve.responseUrl).length + h.answers(deny.responseUrl).length > 0,
      10_000,
      'the loser answered',
    );
    const view = await h.engine.get(approval.id);
    expect(view.state).toBe('approved');
    const loser = view.decidedBy === 'U0APPROVER' ? deny : approve;
    expect(h.answers(loser.responseUrl)).toEqual([expect.stringContaining(`Already approved by <@${view.decidedBy}>`)]);
    expect(h.answers(view.decidedBy === 'U0APPROVER' ? approve.responseUrl : deny.responseUrl)).toEqual([]);
  });

  it('a click on an expired call only refreshes the message and says so', async () => {
    const { approval } = await h.engine.request(
      approvalInput({ approval: approvalRule({ timeout: '1s', timeoutMs: 1_000 }) }),
    );
    await h.posted(approval.id);
    await waitFor(async () => (await stateOf(h.engine, approval.id)) === 'expired', 10_000, 'expired');
    const updatesBefore = h.fake.ok('chat.update').length;
    const { responseUrl } = await h.click(APPROVE_ACTION, approval.id, 'U0APPROVER');
    expect(await answered(responseUrl)).toMatch(
      /^This call expired at <!date\^\d+\^.*> with no decision within 1s; it was not run\.$/u,
    );
    await waitFor(() => h.fake.ok('chat.update').length > updatesBefore, 10_000, 'the refresh');
    expect(await stateOf(h.engine, approval.id)).toBe('expired');
  });
});

describe('Deny', () => {
  it('opens a modal for the reason; submitting it denies with that reason and updates the message', async () => {
    const { approval } = await h.engine.request(approvalInput());
    const before = h.fake.ok('views.open').length;
    await h.click(DENY_ACTION, approval.id, 'U0OTHER');
    await waitFor(() => h.fake.ok('views.open').length > before, 10_000, 'views.open');
    const open = h.fake.ok('views.open').at(-1)!;
    const modal = open.body.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(open.body.trigger_id).toMatch(/^trigger-/u);
    expect(modal.callback_id).toBe(DENY_MODAL);
    expect(JSON.parse(modal.private_metadata)).toMatchObject({ id: approval.id, channel: 'C0APPROVALS' });
    expect(await stateOf(h.engine, approval.id)).toBe('pending');
    const status = await postInteraction(
      h.bot.url!,
      SIGNING_SECRET,
      modalSubmission({
        callbackId: DENY_MODAL,
        privateMetadata: modal.private_metadata,
        user: 'U0OTHER',
        reason: 'wrong source version',
      }),
    );
    expect(status).toBe(200);
    await waitFor(async () => (await stateOf(h.engine, approval.id)) === 'denied', 10_000, 'denied');
    const view = await h.engine.get(approval.id);
    expect(view).toMatchObject({ decidedBy: 'U0OTHER', decisionReason: 'wrong source version' });
    const message = await h.posted(approval.id, (m) => messageText(m).includes('Denied'));
    expect(messageText(message)).toContain('*Denied* by <@U0OTHER>');
    expect(messageText(message)).toContain('> wrong source version');
  });

  it('opens no modal for a non-approver, who is told so', async () => {
    const { approval } = await h.engine.request(approvalInput());
    const before = h.fake.ok('views.open').length;
    const { responseUrl } = await h.click(DENY_ACTION, approval.id, 'U0STRANGER');
    expect(await answered(responseUrl)).toContain('You are not an approver for this call');
    expect(h.fake.ok('views.open').length).toBe(before);
  });

  it('a modal submitted after someone else decided is answered ephemerally with who decided', async () => {
    const { approval } = await h.engine.request(approvalInput());
    const message = await h.posted(approval.id);
    await h.engine.decide(approval.id, 'approve', 'U0APPROVER');
    const before = h.fake.ok('chat.postEphemeral').length;
    const metadata = JSON.stringify({ id: approval.id, channel: message.channel, ts: message.ts });
    await postInteraction(
      h.bot.url!,
      SIGNING_SECRET,
      modalSubmission({ callbackId: DENY_MODAL, privateMetadata: metadata, user: 'U0OTHER', reason: 'too late' }),
    );
    await waitFor(() => h.fake.ok('chat.postEphemeral').length > before, 10_000, 'the ephemeral');
    const ephemeral = h.fake.ok('chat.postEphemeral').at(-1)!;
    expect(ephemeral.body).toMatchObject({ channel: message.channel, user: 'U0OTHER' });
    expect(String(ephemeral.body.text)).toContain('Already approved by <@U0APPROVER>');
    expect(await stateOf(h.engine, approval.id)).toBe('approved');
  });
});

describe('request signatures', () => {
  it('rejects a forged signature (401) and a stale timestamp (401); nothing is decided', async () => {
    const { approval } = await h.engine.request(approvalInput());
    const message = await h.posted(approval.id);
    const responseUrl = h.fake.responseUrl();
    const payload = buttonClick({
      actionId: APPROVE_ACTION,
      approvalId: approval.id,
      user: 'U0APPROVER',
      channel: message.channel,
      ts: message.ts,
      responseUrl,
    });
    expect(await postInteraction(h.bot.url!, SIGNING_SECRET, payload, { signWith: 'not-the-secret' })).toBe(401);
    expect(
      await postInteraction(h.bot.url!, SIGNING_SECRET, payload, {
        timestamp: Math.floor(Date.now() / 1_000) - 6 * 60,
      }),
    ).toBe(401);
    expect(await stateOf(h.engine, approval.id)).toBe('pending');
    expect(h.answers(responseUrl)).toEqual([]);
    // The same payload, correctly signed and fresh, is accepted: the two refusals were the signature check.
    expect(await postInteraction(h.bot.url!, SIGNING_SECRET, payload)).toBe(200);
    await waitFor(async () => (await stateOf(h.engine, approval.id)) === 'approved', 10_000, 'approved');
  });
});
