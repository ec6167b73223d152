import { WebClient } from '@slack/web-api';
import type { ApprovalChange, ApprovalEngine, ApprovalView, DecidedEvent } from '../approvals/index.js';
import type { SlackConfig } from '../config/index.js';
import { SlackKeys, whenReady, type RedisClients } from '../redis/index.js';
import { AirlockError, describeError, type Logger } from '../shared/index.js';
import { SlackAuditChannel } from './audit-channel.js';
import { registerListeners, startApp, webClientOptions, type Identity, type StartedReceiver } from './bolt-app.js';
import { SlackGroups } from './groups.js';
import { Interactions } from './interactions.js';
import { syncApprovalMessage } from './message-sync.js';
import { MessageStore } from './message-store.js';
import { deliveryNoteText, type Redactor } from './messages.js';
import { RetryAfterGate, SlackOutbox } from './outbox.js';

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
  /** Told of every failed Web API attempt of the outbox (metrics); `final`: no retry follows. */
  onSendFailed?: (kind: string, final: boolean) => void;
  /** Run the outbox worker in this process. Default true. */
  processJobs?: boolean;
}

const PROCESS_EVENTS = ['requested', 'expired', 'withdrawn', 'executed'] as const;
/** Token problems that no retry will fix: Airlock refuses to start with them. */
const BAD_TOKEN = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
]);

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
    this.audit =
      channel === undefined
        ? undefined
        : new SlackAuditChannel({ channel, log: options.log, send: (c, text) => outbox.audit(c, text) });
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
      outbox = await startOutbox({ ...options, log }, keys, client, store);
      const queued = outbox;
      const interactions = new Interactions({
        engine,
        groups: groups.resolver,
        refresh: (id) => queued.sync(id),
        openModal: async (trigger_id, view) => void (await client.views.open({ trigger_id, view })),
        log,
      });
      const receiver = await startApp(config, clientOptions, identity, log, (app) =>
        registerListeners(app, interactions, client, log),
      );
      const bot = new SlackBot({ ...options, log }, receiver, store, outbox, receiver.url);
      bot.subscribe();
      log.info(
        {
          mode: config.app_token === undefined ? 'http' : 'socket',
          url: receiver.url,
          channel: config.approvals_channel,
          bot: identity?.botUserId,
        },
        'Slack approvals on',
      );
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
    await this.receiver
      .stop()
      .catch((error: unknown) =>
        this.options.log.debug({ err: describeError(error) }, 'stopping the Slack receiver failed'),
      );
    await this.outbox.close();
  }

  /** Every transition (local events, and other processes' via `change`) enqueues one deduplicated sync job. */
  private subscribe(): void {
    const events = this.options.engine.events;
    const sync = (id: string, version: number) =>
      void this.outbox
        .sync(id, version)
        .catch((error: unknown) =>
          this.options.log.warn({ approval: id, err: describeError(error) }, 'could not queue a Slack update'),
        );
    const onView = (view: ApprovalView) => sync(view.id, view.version);
    const onDecided = (event: DecidedEvent) => sync(event.approval.id, event.approval.version);
    const onChange = (change: ApprovalChange) => sync(change.id, change.version);
    for (const name of PROCESS_EVENTS) {
      events.on(name, onView);
      this.unsubscribe.push(() => events.off(name, onView));
    }
    events.on('decided', onDecided);
    events.on('change', onChange);
    this.unsubscribe.push(
      () => events.off('decided', onDecided),
      () => events.off('change', onChange),
    );
  }
}

/** The outbox: every Slack write (message syncs, audit lines) as a retried BullMQ job. */
function startOutbox(options: SlackBotOptions, keys: SlackKeys, client: WebClient, store: MessageStore) {
  const { config, engine, log } = options;
  const gate = new RetryAfterGate(options.redis.request, keys);
  const sync = { engine, client, store, redact: options.redact, defaultChannel: config.approvals_channel, gate };
  return SlackOutbox.start({
    redis: options.redis,
    gate,
    prefix: keys.prefix,
    log,
    retry: {
      attempts: config.retry.attempts,
      initialDelayMs: config.retry.initial_delay,
      maxDelayMs: config.retry.max_delay,
    },
    ...(options.processJobs === undefined ? {} : { processJobs: options.processJobs }),
    ...(options.onSendFailed ? { onFailed: options.onSendFailed } : {}),
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
}

/**
 * The user-group resolver, built before the engine so it can be handed to both the engine and the
 * bot (no late binding between them).
 */
export function createSlackGroups(config: SlackConfig, log: Logger): SlackGroups {
  return new SlackGroups(
    new WebClient(config.bot_token, webClientOptions(config, log.child({ component: 'slack' }))),
    config.group_cache_ttl,
  );
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
      throw new AirlockError(
        'config_invalid',
        `Slack rejected the bot token (${code}): check SLACK_BOT_TOKEN or slack.bot_token ("xoxb-…", OAuth & Permissions)`,
      );
    }
    log.warn(
      { err: describeError(error) },
      'Slack is unreachable at start; approval messages will be posted when it answers',
    );
    return undefined;
  }
}
