import { describe, expect, it } from 'vitest';
import { parseSlackConfig, resolveSlackConfig, slackConfigFromEnv } from './slack.js';

const minimal = { bot_token: 'xoxb-1', signing_secret: 's', approvals_channel: 'C0APPROVALS' };

describe('SlackConfigSchema', () => {
  it('fills the defaults: HTTP listener on 127.0.0.1:3000, 5m group cache, 12 attempts from 1s up to 1m', () => {
    expect(parseSlackConfig(minimal)).toEqual({
      ...minimal,
      listen: {
        host: '127.0.0.1',
        port: 3000,
        max_sockets_per_address: 64,
        header_timeout: 10_000,
        body_timeout: 10_000,
      },
      group_cache_ttl: 300_000,
      retry: { attempts: 12, initial_delay: 1_000, max_delay: 60_000 },
    });
  });

  it('takes Socket Mode without a signing secret, and treats interpolated empty strings as absent', () => {
    const config = parseSlackConfig({
      bot_token: 'xoxb-1',
      app_token: 'xapp-1',
      approvals_channel: 'C0A',
      audit_channel: '',
      api_url: 'http://127.0.0.1:9/api',
    });
    expect(config.app_token).toBe('xapp-1');
    expect(config.audit_channel).toBeUndefined();
    expect(config.api_url).toBe('http://127.0.0.1:9/api/');
  });

  it.each([
    [{ ...minimal, bot_token: 'xapp-1' }, 'slack: /bot_token: expected a bot token ("xoxb-…"'],
    [
      { ...minimal, signing_secret: undefined },
      'slack: /signing_secret: expected "signing_secret" (HTTP mode), or "app_token" for Socket Mode',
    ],
    [{ ...minimal, app_token: 'xoxb-2' }, 'slack: /app_token: expected an app-level token ("xapp-…"'],
    [{ ...minimal, group_cache_ttl: 'soon' }, 'slack: /group_cache_ttl: expected a duration like'],
    [{ ...minimal, listen: { port: 3000, tls: true } }, 'slack: /listen: unknown key "tls"'],
    [{ ...minimal, channel: 'C0' }, 'slack: /: unknown key "channel"'],
  ])('rejects %j naming the key', (raw, message) => {
    expect(() => parseSlackConfig(raw)).toThrow(message);
  });
});

describe('slackConfigFromEnv', () => {
  it('is off when no SLACK_* variable is set', () => {
    expect(slackConfigFromEnv({})).toBeUndefined();
  });

  it('needs three variables: bot token, signing secret, approvals channel', () => {
    const config = slackConfigFromEnv({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      SLACK_APPROVALS_CHANNEL: 'C0A',
      SLACK_AUDIT_CHANNEL: 'C0AUDIT',
    });
    expect(config).toMatchObject({
      bot_token: 'xoxb-1',
      signing_secret: 's',
      approvals_channel: 'C0A',
      audit_channel: 'C0AUDIT',
      listen: { port: 3000 },
    });
    expect(config?.app_token).toBeUndefined();
  });

  it('names what is missing when Slack is half configured', () => {
    expect(() => slackConfigFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      'Slack is half configured: SLACK_SIGNING_SECRET, SLACK_APPROVALS_CHANNEL are not set',
    );
    expect(
      slackConfigFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SLACK_APPROVALS_CHANNEL: 'C0A' })
        ?.app_token,
    ).toBe('xapp-1');
  });

  it('is second to a config section', () => {
    // resolveSlackConfig takes the section as ConfigSchema parsed it (loadConfig), never parses it again.
    expect(
      resolveSlackConfig(parseSlackConfig({ ...minimal, approvals_channel: 'C0FILE' }), {
        SLACK_APPROVALS_CHANNEL: 'C0ENV',
      })?.approvals_channel,
    ).toBe('C0FILE');
    expect(resolveSlackConfig(undefined, {})).toBeUndefined();
  });
});
