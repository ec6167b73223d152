/** The Bolt side of the Slack boundary: receiver (HTTP or Socket Mode), listeners, logger bridge. */
import {
  App,
  HTTPReceiver,
  SocketModeReceiver,
  type BlockAction,
  type ButtonAction,
  type Logger as BoltLogger,
  type LogLevel,
  type RespondFn,
  type ViewSubmitAction,
} from '@slack/bolt';
import type { WebClient, WebClientOptions } from '@slack/web-api';
import type { SlackConfig } from '../config/index.js';
import { closeServer, createGuardedServer, listenOn } from '../http/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { Interactions, Reply } from './interactions.js';
import { APPROVE_ACTION, DENY_ACTION, DENY_MODAL, parseDenyMetadata, REASON_BLOCK, REASON_INPUT } from './messages.js';
import { guardSlackRequests, SLACK_BODY_LIMIT, SLACK_EVENTS_PATH } from './request-guard.js';

/** Who the bot is (auth.test), for Bolt's authorize. */
export type Identity = { botId?: string; botUserId?: string; teamId?: string };
/** The running receiver: its URL in HTTP mode, and how to stop it. */
export type StartedReceiver = { url: string | undefined; stop: () => Promise<void> };

export function webClientOptions(config: SlackConfig, log: Logger): WebClientOptions {
  // Retries are the outbox's (BullMQ); a 429 must surface as WebAPIRateLimitedError with its Retry-After.
  return {
    ...(config.api_url === undefined ? {} : { slackApiUrl: config.api_url }),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logger: boltLogger(log),
  };
}

function createReceiver(config: SlackConfig, logger: BoltLogger): HTTPReceiver | SocketModeReceiver {
  return config.app_token === undefined
    ? new HTTPReceiver({
        signingSecret: config.signing_secret ?? '',
        endpoints: SLACK_EVENTS_PATH,
        logger,
        bodyLimit: SLACK_BODY_LIMIT,
      })
    : new SocketModeReceiver({
        appToken: config.app_token,
        logger,
        ...(config.api_url === undefined
          ? {}
          : { installerOptions: { clientOptions: { slackApiUrl: config.api_url } } }),
      });
}

/**
 * HTTP mode on our own server instead of receiver.start(): the listener policies of src/http
 * (deadlines, per-address cap, refusals close) and our checks run before Bolt's public
 * requestListener. The App constructor already ran receiver.init(app), which is all it needs.
 */
async function serveHttpReceiver(config: SlackConfig, receiver: HTTPReceiver, log: Logger): Promise<StartedReceiver> {
  const { host, port } = config.listen;
  const server = createGuardedServer({
    name: 'slack',
    limits: config.listen,
    settings: 'slack.listen',
    log,
    handle: guardSlackRequests({ bolt: receiver.requestListener, log }),
  });
  const bound = await listenOn(server, host, port);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${hostPart}:${bound}${SLACK_EVENTS_PATH}`, stop: () => closeServer(server) };
}

/** The Bolt app with our listeners (`register`), receiving over HTTP or Socket Mode. */
export async function startApp(
  config: SlackConfig,
  clientOptions: WebClientOptions,
  identity: Identity | undefined,
  log: Logger,
  register: (app: App) => void,
): Promise<StartedReceiver> {
  const logger = boltLogger(log);
  const receiver = createReceiver(config, logger);
  const app = new App({
    receiver,
    logger,
    clientOptions,
    ignoreSelf: false,
    // A fixed bot token: no auth.test per event, and no cached failure if Slack was down at start.
    authorize: async () => ({ botToken: config.bot_token, ...identity }),
  });
  app.error(async (error) => log.error({ err: describeError(error) }, 'Slack listener failed'));
  register(app);
  if (receiver instanceof HTTPReceiver) return serveHttpReceiver(config, receiver, log);
  // Not awaited: the client retries apps.connections.open for a long time while Slack is
  // unreachable, and Airlock must run (CLI and console decide) meanwhile.
  app.start().then(
    () => log.info('Slack Socket Mode connected'),
    (error: unknown) =>
      log.error(
        { err: describeError(error) },
        'Slack Socket Mode could not connect (check SLACK_APP_TOKEN, scope connections:write)',
      ),
  );
  return { url: undefined, stop: async () => void (await app.stop()) };
}

export function registerListeners(app: App, interactions: Interactions, client: WebClient, log: Logger): void {
  // ack() first, always: Slack shows an error to the clicker after 3 s without one.
  app.action<BlockAction<ButtonAction>>(
    { type: 'block_actions', action_id: APPROVE_ACTION },
    async ({ ack, body, action, respond }) => {
      await ack();
      await interactions.approve(action.value ?? '', body.user.id, ephemeralReply(respond, client, body, log));
    },
  );
  app.action<BlockAction<ButtonAction>>(
    { type: 'block_actions', action_id: DENY_ACTION },
    async ({ ack, body, action, respond }) => {
      await ack();
      const channel = body.channel?.id ?? body.container?.channel_id;
      const ts = body.message?.ts ?? body.container?.message_ts;
      const where = { ...(typeof channel === 'string' ? { channel } : {}), ...(typeof ts === 'string' ? { ts } : {}) };
      await interactions.denyClicked(
        action.value ?? '',
        body.user.id,
        body.trigger_id,
        where,
        ephemeralReply(respond, client, body, log),
      );
    },
  );
  app.view<ViewSubmitAction>({ type: 'view_submission', callback_id: DENY_MODAL }, async ({ ack, body, view }) => {
    await ack();
    const metadata = parseDenyMetadata(view.private_metadata);
    if (metadata === undefined)
      return void log.warn({ user: body.user.id }, 'Deny modal submitted without an approval id');
    const reason = view.state.values[REASON_BLOCK]?.[REASON_INPUT]?.value ?? '';
    const reply: Reply = async (text) => {
      if (metadata.channel === undefined) return;
      await client.chat.postEphemeral({ channel: metadata.channel, user: body.user.id, text }).then(
        () => {},
        (error: unknown) => log.warn({ err: describeError(error) }, 'could not send an ephemeral answer'),
      );
    };
    await interactions.denySubmitted(metadata.id, body.user.id, reason.trim(), reply);
  });
}

/** Through the click's response_url; chat.postEphemeral if that fails (it allows 5 uses in 30 min). */
function ephemeralReply(respond: RespondFn, client: WebClient, body: BlockAction, log: Logger): Reply {
  return async (text) => {
    try {
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    } catch (error) {
      const channel = body.channel?.id ?? body.container?.channel_id;
      if (typeof channel !== 'string')
        return void log.warn({ err: describeError(error) }, 'could not send an ephemeral answer');
      await client.chat.postEphemeral({ channel, user: body.user.id, text }).then(
        () => {},
        (e: unknown) => log.warn({ err: describeError(e) }, 'could not send an ephemeral answer'),
      );
    }
  };
}

/** Bolt's and the Web API client's log lines, into ours (credentials are censored there). */
function boltLogger(log: Logger): BoltLogger {
  let level = 'info' as LogLevel;
  const text = (parts: unknown[]) =>
    parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : safeJson(p))).join(' ');
  return {
    debug: (...m: unknown[]) => log.debug(text(m)),
    info: (...m: unknown[]) => log.debug(text(m)),
    warn: (...m: unknown[]) => log.warn(text(m)),
    error: (...m: unknown[]) => log.error(text(m)),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => {},
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
