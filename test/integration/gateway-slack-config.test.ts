import { join } from 'node:path';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { loadConfig, PACKAGE_ROOT, type Config, type SlackConfig } from '../../src/config/index.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/shared/logger.js';
import { SlackBot } from '../../src/slack/index.js';
import { randomPrefix } from '../helpers/approvals.js';
import { tempDir, writeJson } from '../helpers/paths.js';

// The "Slack section was parsed twice" bug (0b09c49): the gateway parsed config.slack again and
// read its retry delays in ms as seconds. Here the bot's start is stubbed to catch what it is given.
const redisUrl = `unix://${inject('redisPath')}`;
const SLACK_ENV = {
  SLACK_BOT_TOKEN: 'xoxb-env-token',
  SLACK_SIGNING_SECRET: 'env-signing-secret',
  SLACK_APPROVALS_CHANNEL: 'C0ENV',
};

function configFile(extra: Record<string, unknown> = {}): string {
  return writeJson(join(tempDir(), 'airlock.config.json'), {
    redis: { url: redisUrl, prefix: randomPrefix() },
    upstreams: { mlflow: { command: 'true' } },
    policy: join(PACKAGE_ROOT, 'policies', 'mlflow.json'),
    grants: [{ name: 'agent', token: 'slack-config-agent-token-01' }],
    ...extra,
  });
}

/** Starts the gateway up to the Slack bot, which is not started: returns the config it was handed. */
async function slackConfigTheBotGets(config: Config): Promise<SlackConfig | undefined> {
  let handed: SlackConfig | undefined;
  const stop = new Error('stopped before starting the Slack bot');
  vi.spyOn(SlackBot, 'start').mockImplementation(async (options) => {
    handed = options.config;
    throw stop;
  });
  await expect(Gateway.start({ config, log: silentLogger(), redisUrl })).rejects.toBe(stop);
  return handed;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the Slack config the gateway hands the bot', () => {
  it('is the SLACK_* section exactly as loadConfig parsed it: durations in ms, not read again as seconds', async () => {
    const { config } = loadConfig({ file: configFile(), env: SLACK_ENV, dataDir: tempDir() });
    const handed = await slackConfigTheBotGets(config);
    expect(handed).toBe(config.slack);
    expect(handed).toMatchObject({
      bot_token: 'xoxb-env-token',
      approvals_channel: 'C0ENV',
      group_cache_ttl: 300_000,
      retry: { attempts: 12, initial_delay: 1_000, max_delay: 60_000 },
      listen: { port: 3000, header_timeout: 10_000, body_timeout: 10_000 },
    });
  });

  it('is the file\'s section, ahead of SLACK_*, as loadConfig parsed it ("100ms" stays 100)', async () => {
    const slack = {
      bot_token: 'xoxb-file-token',
      signing_secret: 'file-signing-secret',
      approvals_channel: 'C0FILE',
      retry: { attempts: 5, initial_delay: '100ms', max_delay: '1s' },
    };
    const { config } = loadConfig({ file: configFile({ slack }), env: SLACK_ENV, dataDir: tempDir() });
    const handed = await slackConfigTheBotGets(config);
    expect(handed).toBe(config.slack);
    expect(handed).toMatchObject({
      bot_token: 'xoxb-file-token',
      approvals_channel: 'C0FILE',
      retry: { attempts: 5, initial_delay: 100, max_delay: 1_000 },
    });
  });
});
