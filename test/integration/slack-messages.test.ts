import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { holdForDecision } from '../../src/approvals/index.js';
import { SLACK_QUEUE } from '../../src/redis/index.js';
import { APPROVE_ACTION, DENY_ACTION } from '../../src/slack/index.js';
import { approvalInput, approvalRule, startEngine } from '../helpers/approvals.js';
import { waitFor } from '../helpers/gateway.js';
import { APPROVALS_CHANNEL, messageText, startSlackHarness, type SlackHarness } from '../helpers/slack-bot.js';

const redisUrl = `unix://${inject('redisPath')}`;
let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness({ redisUrl });
});

afterAll(async () => {
  await h?.close();
});

type Block = {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: Record<string, unknown>[];
};

describe('the approval message', () => {
  it('says who, what, why and until when, with N-of-M, Approve/Deny buttons carrying only the id, and a fallback text', async () => {
    const { approval } = await h.engine.request(
      approvalInput({ args: { src_model_name: 'churn', version: '3', dst_model_name: 'prod-churn' } }),
    );
    const message = await h.posted(approval.id);
    const post = h.fake.ok('chat.postMessage').find((c) => JSON.stringify(c.body.blocks).includes(approval.id))!;
    expect(post.token).toBe('xoxb-test-token');
    expect(message.channel).toBe(APPROVALS_CHANNEL);
    expect(message.text).toContain('Approval needed: grant ci-agent wants to run mlflow/copy_model_version');
    const blocks = message.blocks as Block[];
    expect(blocks[0]).toMatchObject({ type: 'header', text: { text: '🔐 Approval needed: copy_model_version' } });
    const fields = blocks[1]!.fields!.map((f) => f.text).join('\n');
    expect(fields).toContain('grant `ci-agent` (owner <@U0OWNER>)');
    expect(fields).toContain('`mlflow` · `copy_model_version`');
    expect(fields).toContain('Promotes a model version into another registered model');
    expect(fields).toContain('rule `/tools/copy_model_version`');
    expect(fields).toContain(`<!date^${Math.floor(approval.expiresAt / 1_000)}^{date_short_pretty} at {time}|`);
    expect(blocks[2]!.text!.text).toBe(
      '*Arguments*\n```\n{\n  "src_model_name": "churn",\n  "version": "3",\n  "dst_model_name": "prod-churn"\n}\n```',
    );
    expect(messageText(message)).toContain('Approvals: 0 of 1');
    expect(messageText(message)).toContain('Approvers: <@U0APPROVER>, <@U0OTHER>');
    const actions = blocks.find((b) => b.type === 'actions')!;
    expect(actions.elements).toEqual([
      expect.objectContaining({
        action_id: APPROVE_ACTION,
        value: approval.id,
        style: 'primary',
        confirm: expect.objectContaining({ title: expect.anything() }),
      }),
      expect.objectContaining({ action_id: DENY_ACTION, value: approval.id, style: 'danger' }),
    ]);
  });

  it("goes to the rule's own approval.channel when it names one", async () => {
    const { approval } = await h.engine.request(approvalInput({ approval: approvalRule({ channel: 'C0MLOPS' }) }));
    expect((await h.posted(approval.id)).channel).toBe('C0MLOPS');
  });

  it('cuts huge arguments to the section limit with "… N more characters" and redacts secrets before cutting', async () => {
    const args = {
      api_token: 'xoxp-SECRET-1',
      nested: { password: 'hunter2', note: '<!channel> & friends' },
      blob: 'x'.repeat(10_000),
    };
    const { approval } = await h.engine.request(approvalInput({ args }));
    const message = await h.posted(approval.id);
    const section = (message.blocks as Block[])[2]!.text!.text;
    expect(section.length).toBeLessThanOrEqual(3_000);
    const shown = JSON.stringify(
      {
        api_token: '[redacted]',
        nested: { password: '[redacted]', note: '<!channel> & friends' },
        blob: 'x'.repeat(10_000),
      },
      null,
      2,
    );
    const match = /\n… (\d+) more characters$/u.exec(section);
    expect(match).not.toBeNull();
    const visible = section.slice('*Arguments*\n```\n'.length, section.indexOf('\n```\n…'));
    expect(visible.replace('&lt;!channel&gt; &amp;', '<!channel> &').length + Number(match![1])).toBe(shown.length);
    expect(section).toContain('&lt;!channel&gt; &amp; friends');
    const everything = JSON.stringify(h.fake.calls);
    expect(everything).not.toContain('xoxp-SECRET-1');
    expect(everything).not.toContain('hunter2');
    expect(section).toContain('"api_token": "[redacted]"');
  });

  it('is updated to expired when the approval expires (the engine worker expires it)', async () => {
    const { approval } = await h.engine.request(
      approvalInput({ approval: approvalRule({ timeout: '1s', timeoutMs: 1_000 }) }),
    );
    const message = await h.posted(approval.id, (m) => messageText(m).includes('Expired'));
    expect((await h.engine.get(approval.id)).state).toBe('expired');
    expect(message.text).toContain('Expired with no decision');
    expect(messageText(message)).toContain('no decision within 1s');
    expect((message.blocks as Block[]).some((b) => b.type === 'actions')).toBe(false);
  });

  it('is kept true by any process: a decision made where no bot runs (the CLI) still updates it', async () => {
    const cli = await startEngine({ redisUrl, prefix: h.prefix, processJobs: false });
    try {
      const { approval } = await h.engine.request(approvalInput());
      await h.posted(approval.id);
      await cli.decide(approval.id, 'deny', 'U0OTHER', 'not during the freeze');
      const message = await h.posted(approval.id, (m) => messageText(m).includes('Denied'));
      expect(messageText(message)).toContain('*Denied* by <@U0OTHER>');
      expect(messageText(message)).toContain('> not during the freeze');
      expect((message.blocks as Block[]).some((b) => b.type === 'actions')).toBe(false);
      await cli.decide(approval.id, 'deny', 'U0OTHER').catch(() => undefined);
    } finally {
      await cli.close();
    }
  });

  it("waits while another process holds the message's send lock, then sends the state of that moment", async () => {
    const redis = new Redis({ path: inject('redisPath') });
    try {
      const { approval } = await h.engine.request(approvalInput());
      await h.posted(approval.id);
      await waitFor(
        async () => (await redis.exists(`${h.prefix}:slack-lock:${approval.id}`)) === 0,
        10_000,
        'the post to let go of the lock',
      );
      expect(await redis.set(`${h.prefix}:slack-lock:${approval.id}`, 'another-process', 'PX', 30_000, 'NX')).toBe(
        'OK',
      );
      await h.engine.decide(approval.id, 'approve', 'U0APPROVER');
      expect(await waitForJobDelays(approval.id)).toBe(true);
      expect(h.fake.messageFor(approval.id)!.updates).toBe(0);
      await redis.del(`${h.prefix}:slack-lock:${approval.id}`);
      const message = await h.posted(approval.id, (m) => m.updates > 0);
      expect(messageText(message)).toContain('*Approved* by <@U0APPROVER>');
    } finally {
      redis.disconnect();
    }
  });

  it('withdrawal updates the message too', async () => {
    const { approval } = await h.engine.request(approvalInput());
    await h.posted(approval.id);
    await h.engine.withdraw(approval.id, 'ops', 'agent misbehaving');
    const message = await h.posted(approval.id, (m) => messageText(m).includes('Withdrawn'));
    expect(messageText(message)).toContain('*Withdrawn* by ops');
  });
});

/** True once a sync job of this approval has been pushed back to delayed (the lock was busy). */
async function waitForJobDelays(approvalId: string): Promise<boolean> {
  const queue = new Queue(SLACK_QUEUE, { connection: { path: inject('redisPath') }, prefix: h.prefix });
  try {
    await waitFor(
      async () => {
        const jobs = await queue.getJobs(['delayed']);
        return jobs.some((j) => (j.data as { approvalId?: string }).approvalId === approvalId);
      },
      10_000,
      'a delayed sync job',
    );
    return true;
  } finally {
    await queue.close();
  }
}

describe('the full cycle', () => {
  it('held → posted → Approve click → the holder runs the call and gets the result → message updated → outcome in the thread', async () => {
    const input = approvalInput();
    let ran = 0;
    const held = holdForDecision({
      engine: h.engine,
      input,
      holdMs: 20_000,
      execute: async () => {
        ran += 1;
        return {
          result: { content: [{ type: 'text', text: '{"copied":"prod-m v7","access_token":"tok-123"}' }] },
          isError: false,
        };
      },
    });
    let id = '';
    await waitFor(
      () => {
        const m = [...h.fake.messages.values()].find(
          (x) =>
            x.text.includes('Approval needed') &&
            JSON.stringify(x.blocks).includes(String((input.args as { nonce: string }).nonce)),
        );
        if (m) id = /apr_[a-z2-7]{20}/u.exec(JSON.stringify(m.blocks))![0];
        return m !== undefined;
      },
      10_000,
      'the approval message',
    );
    const { status, responseUrl } = await h.click(APPROVE_ACTION, id, 'U0APPROVER');
    expect(status).toBe(200);
    const outcome = await held;
    expect(outcome.kind).toBe('executed');
    expect(ran).toBe(1);
    const message = await h.posted(id, (m) => messageText(m).includes('Ran: ok'));
    expect((message.blocks as Block[])[0]!.text!.text).toBe('✅ Done: copy_model_version');
    expect(messageText(message)).toContain('*Approved* by <@U0APPROVER>');
    expect((message.blocks as Block[]).some((b) => b.type === 'actions')).toBe(false);
    await waitFor(() => h.fake.threadReplies(message.ts).length > 0, 10_000, 'the thread reply');
    const [reply] = h.fake.threadReplies(message.ts);
    expect(reply!.text).toMatch(/^✅ Ran: ok in \d+ ms\n> \{"copied":"prod-m v7","access_token":"\[redacted\]"\}$/u);
    expect(h.answers(responseUrl)).toEqual([]);
    expect(h.fake.threadReplies(message.ts)).toHaveLength(1);
  });
});
