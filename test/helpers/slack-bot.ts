import { ApprovalEngine, type ApprovalView } from '../../src/approvals/index.js';
import { parseSlackConfig, type SlackConfigInput } from '../../src/config/index.js';
import { RedisConnections } from '../../src/redis/index.js';
import { silentLogger, type Logger } from '../../src/shared/logger.js';
import { createSlackGroups, SlackBot } from '../../src/slack/index.js';
import { randomPrefix } from './approvals.js';
import { FakeSlack, type FakeMessage } from './fake-slack.js';
import { waitFor } from './gateway.js';
import { buttonClick, postInteraction } from './slack-signing.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const APPROVALS_CHANNEL = 'C0APPROVALS';

/** Argument values under these keys never reach Slack (the shape of src/audit/redact.ts, kept local to the tests). */
function testRedactor(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(testRedactor);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      /token|secret|password|authorization/iu.test(k) ? '[redacted]' : testRedactor(v),
    ]),
  );
}

export interface SlackHarness {
  fake: FakeSlack;
  engine: ApprovalEngine;
  bot: SlackBot;
  prefix: string;
  redisUrl: string;
  /** The approval message once posted. */
  posted(approvalId: string, what?: (m: FakeMessage) => boolean): Promise<FakeMessage>;
  click(actionId: string, approvalId: string, user: string): Promise<{ status: number; responseUrl: string }>;
  /** Ephemeral texts sent to a response_url. */
  answers(responseUrl: string): string[];
  close(): Promise<void>;
}

/** A real ApprovalEngine on the test Redis + SlackBot + the fake Web API, on one random prefix, sharing one set of connections as in a gateway. */
export async function startSlackHarness(options: {
  redisUrl: string;
  prefix?: string;
  slack?: Partial<SlackConfigInput>;
  fake?: FakeSlack;
  log?: Logger;
}): Promise<SlackHarness> {
  const fake = options.fake ?? (await FakeSlack.start());
  const prefix = options.prefix ?? randomPrefix();
  let bot: SlackBot | undefined;
  const redis = new RedisConnections(options.redisUrl);
  const config = parseSlackConfig({
    bot_token: 'xoxb-test-token',
    signing_secret: SIGNING_SECRET,
    approvals_channel: APPROVALS_CHANNEL,
    listen: { host: '127.0.0.1', port: 0 },
    api_url: fake.apiUrl,
    retry: { attempts: 8, initial_delay: '100ms', max_delay: '1s' },
    ...options.slack,
  });
  // As in the gateway: the group resolver first, handed to the engine and the bot.
  const groups = createSlackGroups(config, silentLogger());
  const engine = await ApprovalEngine.start({
    redis,
    prefix,
    log: silentLogger(),
    resolveGroupMembers: groups.resolver,
  }).catch(async (error: unknown) => {
    await redis.close();
    throw error;
  });
  try {
    bot = await SlackBot.start({
      config,
      engine,
      groups,
      redis,
      prefix,
      log: options.log ?? silentLogger(),
      redact: testRedactor,
    });
  } catch (error) {
    await engine.close();
    await redis.close();
    if (options.fake === undefined) await fake.close();
    throw error;
  }
  const started = bot;
  const harness: SlackHarness = {
    fake,
    engine,
    bot: started,
    prefix,
    redisUrl: options.redisUrl,
    async posted(approvalId, what = () => true) {
      let found: FakeMessage | undefined;
      await waitFor(
        () => (found = fake.messageFor(approvalId)) !== undefined && what(found),
        10_000,
        `the Slack message of ${approvalId}`,
      );
      return found!;
    },
    async click(actionId, approvalId, user) {
      const message = await harness.posted(approvalId);
      const responseUrl = fake.responseUrl();
      const payload = buttonClick({
        actionId,
        approvalId,
        user,
        channel: message.channel,
        ts: message.ts,
        responseUrl,
      });
      return { status: await postInteraction(started.url!, SIGNING_SECRET, payload), responseUrl };
    },
    answers(responseUrl) {
      const path = new URL(responseUrl).pathname;
      return fake.calls.filter((c) => c.method === 'response_url' && c.path === path).map((c) => String(c.body.text));
    },
    async close() {
      await started.close();
      await engine.close();
      await redis.close();
      if (options.fake === undefined) await fake.close();
    },
  };
  return harness;
}

/** Everything the message shows, as one string (for `toContain`). */
export function messageText(message: FakeMessage): string {
  return JSON.stringify(message.blocks);
}

export function stateOf(engine: ApprovalEngine, id: string): Promise<ApprovalView['state']> {
  return engine.get(id).then((v) => v.state);
}
