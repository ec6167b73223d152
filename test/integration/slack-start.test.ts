import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { approvalInput } from '../helpers/approvals.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { waitFor } from '../helpers/gateway.js';
import { startSlackHarness, type SlackHarness } from '../helpers/slack-bot.js';

const redisUrl = `unix://${inject('redisPath')}`;
let h: SlackHarness;

beforeAll(async () => {
  // No signing secret, an app token: Socket Mode. The fake cannot open a WebSocket, so the
  // connection fails in the background, and approvals must work regardless.
  h = await startSlackHarness({ redisUrl, slack: { signing_secret: undefined, app_token: 'xapp-test-token' } });
});

afterAll(async () => {
  await h?.close();
});

describe('Socket Mode', () => {
  it('starts without an HTTP listener, asks Slack for a socket with the app token, and still posts approval messages', async () => {
    expect(h.bot.url).toBeUndefined();
    await waitFor(() => h.fake.callsOf('apps.connections.open').length > 0, 10_000, 'apps.connections.open');
    expect(h.fake.callsOf('apps.connections.open')[0]!.token).toBe('xapp-test-token');
    const { approval } = await h.engine.request(approvalInput());
    await h.posted(approval.id);
  });
});

describe('starting', () => {
  it('refuses a bot token Slack rejects, with what to fix', async () => {
    const fake = await FakeSlack.start();
    fake.authError = 'invalid_auth';
    try {
      await expect(startSlackHarness({ redisUrl, fake })).rejects.toThrow(
        'Slack rejected the bot token (invalid_auth): check SLACK_BOT_TOKEN or slack.bot_token',
      );
    } finally {
      await fake.close();
    }
  });

  it('starts while Slack is unreachable; the approval stays decidable and deliveryNote says Slack could not be reached', async () => {
    const gone = await FakeSlack.start();
    const apiUrl = gone.apiUrl;
    await gone.close();
    const down = await startSlackHarness({ redisUrl, slack: { api_url: apiUrl } });
    try {
      const { approval } = await down.engine.request(approvalInput());
      let note: string | undefined;
      await waitFor(
        async () => (note = await down.bot.deliveryNote(approval.id)) !== undefined,
        10_000,
        'a delivery note',
      );
      expect(note).toContain('Slack could not be reached');
      expect((await down.engine.decide(approval.id, 'approve', 'U0APPROVER')).effect).toBe('approved');
    } finally {
      await down.close();
    }
  });
});
