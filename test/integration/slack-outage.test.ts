import { Queue, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SLACK_QUEUE } from '../../src/redis/index.js';
import { approvalInput, approvalRule } from '../helpers/approvals.js';
import { waitFor } from '../helpers/gateway.js';
import { messageText, startSlackHarness, stateOf, type SlackHarness } from '../helpers/slack-bot.js';

const redisUrl = `unix://${inject('redisPath')}`;
let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness({ redisUrl });
});

afterAll(async () => {
  await h?.close();
});

describe('Slack failing', () => {
  it('retries a post through 500s and a 429 (honouring Retry-After); the approval stays decidable and deliveryNote says why meanwhile', async () => {
    h.fake.failNext(2, { status: 500 }, ['chat.postMessage']);
    h.fake.failNext(1, { status: 429, retryAfter: 1 }, ['chat.postMessage']);
    const before = h.fake.callsOf('chat.postMessage').length;
    const { approval } = await h.engine.request(approvalInput());
    expect(await h.bot.deliveryNote(approval.id)).toBeUndefined();

    let note: string | undefined;
    await waitFor(async () => (note = await h.bot.deliveryNote(approval.id)) !== undefined, 10_000, 'a delivery note');
    expect(note).toMatch(/^Slack could not be reached, so approvers may not have seen this request yet/u);
    expect(note).toContain(`airlock approvals approve ${approval.id} --as <user>`);

    // Decidable without Slack (the CLI and the console call the same decide()).
    expect((await h.engine.decide(approval.id, 'approve', 'U0APPROVER')).effect).toBe('approved');

    const message = await h.posted(approval.id);
    await waitFor(
      async () => (await h.bot.deliveryNote(approval.id)) === undefined,
      10_000,
      'the note cleared once posted',
    );
    // It shows the state at send time: approved, no buttons; never a stale "pending".
    await h.posted(
      approval.id,
      (m) => messageText(m).includes('*Approved* by <@U0APPROVER>') && !messageText(m).includes('"type":"actions"'),
    );
    expect(await stateOf(h.engine, approval.id)).toBe('approved');

    const attempts = h.fake
      .callsOf('chat.postMessage')
      .slice(before)
      .filter((c) => JSON.stringify(c.body.blocks).includes(approval.id));
    expect(attempts.map((c) => c.status)).toEqual([500, 500, 429, 200]);
    expect(attempts[3]!.at - attempts[2]!.at).toBeGreaterThanOrEqual(950);
    expect(
      [...h.fake.messages.values()].filter(
        (m) => m.threadTs === undefined && JSON.stringify(m.blocks).includes(approval.id),
      ),
    ).toEqual([message]);
  });

  it('says Slack is rate-limiting while a 429 holds the post back', async () => {
    h.fake.failNext(1, { status: 429, retryAfter: 2 }, ['chat.postMessage']);
    const { approval } = await h.engine.request(approvalInput());
    let note: string | undefined;
    await waitFor(async () => (note = await h.bot.deliveryNote(approval.id)) !== undefined, 10_000, 'a delivery note');
    expect(note).toMatch(/^Slack is rate-limiting Airlock/u);
    await h.posted(approval.id);
    // The fake records the message when it answers; the bot clears the note once it reads that answer.
    await waitFor(
      async () => (await h.bot.deliveryNote(approval.id)) === undefined,
      10_000,
      'the note cleared once posted',
    );
  });

  it('gives up at once on answers no retry fixes (channel_not_found) and says Slack refused the message', async () => {
    h.fake.missingChannels.add('C0NOWHERE');
    const { approval } = await h.engine.request(approvalInput({ approval: approvalRule({ channel: 'C0NOWHERE' }) }));
    let note: string | undefined;
    await waitFor(async () => (note = await h.bot.deliveryNote(approval.id)) !== undefined, 10_000, 'a delivery note');
    expect(note).toMatch(/^Slack refused the approval message \(.*channel_not_found\); approvers can still decide/u);
    // Decidable anyway; and the post was not retried: its job failed after one attempt.
    expect((await h.engine.decide(approval.id, 'deny', 'U0OTHER')).effect).toBe('denied');
    const queue = new Queue(SLACK_QUEUE, { connection: { path: inject('redisPath') }, prefix: h.prefix });
    try {
      let job: Job | undefined;
      await waitFor(
        async () =>
          (job = await queue.getJob(`sync-${approval.id}-v1`)) !== undefined && (await job.getState()) === 'failed',
        10_000,
        'the job failed',
      );
      expect(job!.attemptsMade).toBe(1);
      expect(job!.failedReason).toContain('channel_not_found');
    } finally {
      await queue.close();
    }
  });
});
