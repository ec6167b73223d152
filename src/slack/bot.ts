import { App, HTTPReceiver, SocketModeReceiver, type BlockAction, type ButtonAction, type Logger as BoltLogger, type LogLevel, type RespondFn, type ViewSubmitAction } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { ApprovalChange, ApprovalEngine, ApprovalView, DecidedEvent } from '../approvals/index.js';
import { closeServer, createGuardedServer, listenOn } from '../http/index.js';
import { SlackKeys, whenReady, type RedisClients } from '../redis/index.js';
import { AirlockError, describeError, type Logger } from '../shared/index.js';
import { SlackAuditChannel } from './audit-channel.js';
import type { SlackConfig } from '../config/index.js';
import { SlackGroups } from './groups.js';
import { Interactions, type Reply } from './interactions.js';
import { syncApprovalMessage } from './message-sync.js';
import { MessageStore } from './message-store.js';
import { APPROVE_ACTION, DENY_ACTION, DENY_MODAL, deliveryNoteText, parseDenyMetadata, REASON_BLOCK, REASON_INPUT, type Redactor } from './messages.js';
import { RetryAfterGate, SlackOutbox } from './outbox.js';
import { guardSlackRequests, SLACK_BODY_LIMIT, SLACK_EVENTS_PATH } from './request-guard.js';

export interface SlackBotOptions {
  config: SlackConfig;
  engine: ApprovalEngine;
  /** The connections to use (the gateway's RedisConnections); the caller closes them after the bot. */
  redis: RedisClients;
  /** The deployment's key prefix (hash tag), shared with the approvals. Default `{airlock}`. */
  prefix?: string;
  log: Logger;
  /** Applied to arguments and results before anything reaches Slack (src/audit/redact.ts `createRedactor`). */
  redact: Redactor;
  /** How long a message's channel/ts are kept after its approval's expiry (the approvals retention). Default 24 h. */
  retentionMs?: number;
  /** Share one user-group cache with the engine's resolver; default: the bot's own. */
  groups?: SlackGroups;
  /** Run the outbox worker in this process. Default true. */
  processJobs?: boolean;
}

const PROCESS_EVENTS = ['requested', 'expired', 'withdrawn', 'executed'] as const;
/** Token problems that no retry will fix: Airlock refuses to start with them. */
const BAD_TOKEN = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);

/**
 * The Slack side of approvals: a Bolt app (HTTP receiver at /slack/events on its own listener,
 * or Socket Mode with an app token) whose Approve / Deny buttons call engine.decide(), plus the
 * outbox that keeps each approval's message true from any Airlock process. See README.md.
 */
export class SlackBot {
  /** `http://host:port/slack/events` in HTTP mode. */
  readonly url: string | undefined;
  /** Set when `audit_channel` is configured: hand it to the audit module. */
  readonly audit: SlackAuditChannel | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  private constructor(
    private readonly options: SlackBotOptions,
    private readonly receiver: StartedReceiver,
    private readonly store: MessageStore,
    private readonly outbox: SlackOutbox,
    url: string | undefined,
  ) {
    this.url = url;
    const channel = options.config.audit_channel;
    this.audit = channel === undefined ? undefined : new SlackAuditChannel({ channel, log: options.log, send: (c, text) => outbox.audit(c, text) });
  }

  static async start(options: SlackBotOptions): Promise<SlackBot> {
    const { config, engine } = options;
    const log = options.log.child({ component: 'slack' });
    const keys = new SlackKeys(options.prefix);
    const clientOptions = webClientOptions(config, log);
    const client = new WebClient(config.bot_token, clientOptions);
    const identity = await checkToken(client, log);
    const redis = options.redis.request;
    const store = new MessageStore(redis, keys, options.retentionMs ?? 24 * 3_600_000);
    const groups = options.groups ?? new SlackGroups(client, config.group_cache_ttl);
    let outbox: SlackOutbox | undefined;
    try {
      await whenReady(redis, { timeoutMs: 10_000 });
      const gate = new RetryAfterGate(redis, keys);
      const sync = { engine, client, store, redact: options.redact, defaultChannel: config.approvals_channel, gate };
      outbox = await SlackOutbox.start({
        redis: options.redis,
        gate,
        prefix: keys.prefix,
        log,
        retry: { attempts: config.retry.attempts, initialDelayMs: config.retry.initial_delay, maxDelayMs: config.retry.max_delay },
        ...(options.processJobs === undefined ? {} : { processJobs: options.processJobs }),
        handlers: {
          sync: (id, force) => syncApprovalMessage(sync, id, force),
          audit: async (channel, text) => {
            await gate.check();
            await client.chat.postMessage({ channel, text, unfurl_links: false, unfurl_media: false });
          },
          syncFailed: async (id, kind, message) => {
            const view = await engine.find(id);
            if (view !== undefined) await store.failed(id, kind, message, view.expiresAt);
          },
        },
      });
      const queued = outbox;
      const interactions = new Interactions({
        engine,
        groups: groups.resolver,
        refresh: (id) => queued.sync(id),
        openModal: async (trigger_id, view) => void (await client.views.open({ trigger_id, view })),
        log,
      });
      const receiver = await startApp(config, clientOptions, identity, log, (app) => registerListeners(app, interactions, client, log));
      const bot = new SlackBot({ ...options, log }, receiver, store, outbox, receiver.url);
      bot.subscribe();
      log.info({ mode: config.app_token === undefined ? 'http' : 'socket', url: receiver.url, channel: config.approvals_channel, bot: identity?.botUserId }, 'Slack approvals on');
      return bot;
    } catch (error) {
      await outbox?.close().catch(() => {});
      throw error;
    }
  }

  /**
   * For the agent's progress text: why approvers may not have the Slack message yet (and how
   * else to decide), while posting fails; undefined once it is posted or before it was tried.
   */
  async deliveryNote(approvalId: string): Promise<string | undefined> {
    try {
      const record = await this.store.get(approvalId);
      if (record.ts !== undefined || record.error === undefined) return undefined;
      return deliveryNoteText(approvalId, record.error);
    } catch {
      return undefined;
    }
  }

  /** Re-render an approval's message now (e.g. after a restart, or from an operator command). */
  async refresh(approvalId: string): Promise<void> {
    await this.outbox.sync(approvalId);
  }

  async close(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.audit?.close();
    await this.receiver.stop().catch((error: unknown) => this.options.log.debug({ err: describeError(error) }, 'stopping the Slack receiver failed'));
    await this.outbox.close();
  }

  /** Every transition (local events, and other processes' via `change`) enqueues one deduplicated sync job. */
  private subscribe(): void {
    const events = this.options.engine.events;
    const sync = (id: string, version: number) =>
      void this.outbox.sync(id, version).catch((error: unknown) => this.options.log.warn({ approval: id, err: describeError(error) }, 'could not queue a Slack update'));
    const onView = (view: ApprovalView) => sync(view.id, view.version);
    const onDecided = (event: DecidedEvent) => sync(event.approval.id, event.approval.version);
    const onChange = (change: ApprovalChange) => sync(change.id, change.version);
    for (const name of PROCESS_EVENTS) {
      events.on(name, onView);
      this.unsubscribe.push(() => events.off(name, onView));
    }
    events.on('decided', onDecided);
    events.on('change', onChange);
    this.unsubscribe.push(() => events.off('decided', onDecided), () => events.off('change', onChange));
  }
}

type Identity = { botId?: string; botUserId?: string; teamId?: string };
/** The running receiver: its URL in HTTP mode, and how to stop it. */
type StartedReceiver = { url: string | undefined; stop: () => Promise<void> };

/**
 * The user-group resolver, built before the engine so it can be handed to both the engine and the
 * bot (no late binding between them).
 */
export function createSlackGroups(config: SlackConfig, log: Logger): SlackGroups {
  return new SlackGroups(new WebClient(config.bot_token, webClientOptions(config, log.child({ component: 'slack' }))), config.group_cache_ttl);
}

function webClientOptions(config: SlackConfig, log: Logger): WebClientOptions {
  // Retries are the outbox's (BullMQ); a 429 must surface as WebAPIRateLimitedError with its Retry-After.
  return {
    ...(config.api_url === undefined ? {} : { slackApiUrl: config.api_url }),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logger: boltLogger(log),
  };
}

/** auth.test once: a wrong token stops Airlock with a clear error; an unreachable Slack does not. */
async function checkToken(client: WebClient, log: Logger): Promise<Identity | undefined> {
  try {
    const answer = await client.auth.test();
    return {
      ...(answer.bot_id === undefined ? {} : { botId: answer.bot_id }),
      ...(answer.user_id === undefined ? {} : { botUserId: answer.user_id }),
      ...(answer.team_id === undefined ? {} : { teamId: answer.team_id }),
    };
  } catch (error) {
    const code = (error as { data?: { error?: unknown } }).data?.error;
    if (typeof code === 'string' && BAD_TOKEN.has(code)) {
      throw new AirlockError('config_invalid', `Slack rejected the bot token (${code}): check SLACK_BOT_TOKEN or slack.bot_token ("xoxb-…", OAuth & Permissions)`);
    }
    log.warn({ err: describeError(error) }, 'Slack is unreachable at start; approval messages will be posted when it answers');
    return undefined;
  }
}

async function startApp(
  config: SlackConfig,
  clientOptions: WebClientOptions,
  identity: Identity | undefined,
  log: Logger,
  register: (app: App) => void,
): Promise<StartedReceiver> {
  const logger = boltLogger(log);
  const receiver =
    config.app_token === undefined
      ? new HTTPReceiver({ signingSecret: config.signing_secret ?? '', endpoints: SLACK_EVENTS_PATH, logger, bodyLimit: SLACK_BODY_LIMIT })
      : new SocketModeReceiver({
          appToken: config.app_token,
          logger,
          ...(config.api_url === undefined ? {} : { installerOptions: { clientOptions: { slackApiUrl: config.api_url } } }),
        });
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
  if (receiver instanceof HTTPReceiver) {
    // Our own server instead of receiver.start(): the listener policies of src/http (deadlines,
    // per-address cap, refusals close) and our checks run before Bolt's public requestListener.
    // The App constructor already ran receiver.init(app), which is all requestListener needs.
    const { host, port } = config.listen;
    const server = createGuardedServer({ name: 'slack', limits: config.listen, settings: 'slack.listen', log, handle: guardSlackRequests({ bolt: receiver.requestListener, log }) });
    const bound = await listenOn(server, host, port);
    const hostPart = host.includes(':') ? `[${host}]` : host;
    return { url: `http://${hostPart}:${bound}${SLACK_EVENTS_PATH}`, stop: () => closeServer(server) };
  }
  // Not awaited: the client retries apps.connections.open for a long time while Slack is
  // unreachable, and Airlock must run (CLI and console decide) meanwhile.
  app.start().then(
    () => log.info('Slack Socket Mode connected'),
    (error: unknown) => log.error({ err: describeError(error) }, 'Slack Socket Mode could not connect (check SLACK_APP_TOKEN, scope connections:write)'),
  );
  return { url: undefined, stop: async () => void (await app.stop()) };
}

function registerListeners(app: App, interactions: Interactions, client: WebClient, log: Logger): void {
  // ack() first, always: Slack shows an error to the clicker after 3 s without one.
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: APPROVE_ACTION }, async ({ ack, body, action, respond }) => {
    await ack();
    await interactions.approve(action.value ?? '', body.user.id, ephemeralReply(respond, client, body, log));
  });
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: DENY_ACTION }, async ({ ack, body, action, respond }) => {
    await ack();
    const channel = body.channel?.id ?? body.container?.channel_id;
    const ts = body.message?.ts ?? body.container?.message_ts;
    const where = { ...(typeof channel === 'string' ? { channel } : {}), ...(typeof ts === 'string' ? { ts } : {}) };
    await interactions.denyClicked(action.value ?? '', body.user.id, body.trigger_id, where, ephemeralReply(respond, client, body, log));
  });
  app.view<ViewSubmitAction>({ type: 'view_submission', callback_id: DENY_MODAL }, async ({ ack, body, view }) => {
    await ack();
    const metadata = parseDenyMetadata(view.private_metadata);
    if (metadata === undefined) return void log.warn({ user: body.user.id }, 'Deny modal submitted without an approval id');
    const reason = view.state.values[REASON_BLOCK]?.[REASON_INPUT]?.value ?? '';
    const reply: Reply = async (text) => {
      if (metadata.channel === undefined) return;
      await client.chat
        .postEphemeral({ channel: metadata.channel, user: body.user.id, text })
        .then(() => {}, (error: unknown) => log.warn({ err: describeError(error) }, 'could not send an ephemeral answer'));
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
      if (typeof channel !== 'string') return void log.warn({ err: describeError(error) }, 'could not send an ephemeral answer');
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
  const text = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : safeJson(p))).join(' ');
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
