import { ApprovalEngine } from './approvals/index.js';
import { auditApprovalEvents } from './audit-approvals.js';
import { AuditLog, createRedactor } from './audit/index.js';
import type { Config } from './config/index.js';
import { RateLimiter, type Reservation } from './limits/index.js';
import {
  CallPipeline,
  collisionMessage,
  createTasks,
  HeldRounds,
  InputRounds,
  ResourceCatalogue,
  RoundRelay,
  ToolCatalogue,
  UpstreamConnection,
} from './mcp/index.js';
import type { PolicySet } from './policy/index.js';
import { DEFAULT_PREFIX, RedisConnections, redisTarget, roundStateSecret, whenReady } from './redis/index.js';
import { AirlockError, type Logger } from './shared/index.js';
import { auditObserver, observeApprovalEnd, type Telemetry } from './telemetry/index.js';
import { createSlackGroups, SlackBot } from './slack/index.js';

/** The gateway's parts, built in order by Gateway.start (gateway.ts); each pushes what closes it. */

/** What undoes one part; `name` says which in a shutdown log line. */
export interface Closer {
  name: string;
  close: () => Promise<void> | void;
}
export type Stores = Awaited<ReturnType<typeof startStores>>;

/**
 * Redis and what lives on it: the connections (closed last), the limiter, the approval engine,
 * Slack (its user groups built first, for the engine and the bot alike), the audit trail.
 */
export async function startStores(
  config: Config,
  redisUrl: string | undefined,
  log: Logger,
  closers: Closer[],
  telemetry: Telemetry,
) {
  // config.slack is final (loadConfig took SLACK_* into it and parsed it once, durations in ms): never parse it again.
  const slackConfig = config.slack;
  const metrics = telemetry.metrics;
  const target = redisUrl ?? (config.redis && redisTarget(config.redis));
  if (target === undefined) throw new TypeError('no redis section in the config: give the embedded redis-server URL');
  const redis = new RedisConnections(target, log, (client) => metrics?.redisErrors.inc({ client }));
  closers.push({ name: 'redis connections', close: () => redis.close() });
  const redisClient = redis.request;
  // Airlock starts even while Redis is down (calls that need no Redis keep working; the others
  // fail closed), so this waits for it only briefly.
  await whenReady(redisClient, { timeoutMs: 3_000 }).catch(() => {});
  const prefix = config.redis?.prefix ?? DEFAULT_PREFIX;
  const limiter = new RateLimiter(redisClient, { prefix });
  const groups = slackConfig === undefined ? undefined : createSlackGroups(slackConfig, log);
  const approvals = await ApprovalEngine.start({
    redis,
    prefix,
    log,
    retentionMs: config.approvals.retention,
    leaseMs: config.approvals.execution_lease,
    releaseReservation: (reservation) => limiter.release(reservation as Reservation),
    resolveGroupMembers:
      groups?.resolver ??
      ((group) => Promise.reject(new Error(`user group ${group} cannot be resolved without Slack`))),
  });
  closers.push({ name: 'approvals', close: () => approvals.close() });
  if (metrics !== undefined) approvals.events.on('settled', (view) => observeApprovalEnd(metrics, view));
  const redact = createRedactor(config.audit.redact);
  const slack =
    slackConfig === undefined
      ? undefined
      : await SlackBot.start({
          config: slackConfig,
          engine: approvals,
          groups,
          redis,
          prefix,
          log,
          redact,
          retentionMs: config.approvals.retention,
          ...(metrics === undefined
            ? {}
            : {
                onSendFailed: (kind: string, final: boolean) => {
                  metrics.slackErrors.inc({ kind, final: String(final) });
                  if (!final) metrics.slackRetries.inc();
                },
              }),
        });
  if (slack !== undefined) closers.push({ name: 'slack', close: () => slack.close() });
  const audit = AuditLog.open({
    config: config.audit,
    redis: redisClient,
    prefix,
    ...(slack?.audit ? { lines: slack.audit } : {}),
    ...(metrics === undefined ? {} : { observer: auditObserver(metrics) }),
    log,
  });
  closers.push({ name: 'audit trail', close: () => audit.close() });
  log.info({ file: audit.file, instance: audit.instance }, 'writing the audit trail');
  auditApprovalEvents(approvals, audit);
  return { redis, redisClient, limiter, approvals, slack, audit };
}

/** The upstream connections (each gets its first attempt; one that cannot start is retried in the background) and their merged catalogue. */
export async function startUpstreams(config: Config, log: Logger, closers: Closer[]) {
  const upstreams = Object.entries(config.upstreams).map(
    ([name, upstream]) => new UpstreamConnection(name, upstream, log),
  );
  closers.push({ name: 'upstreams', close: () => Promise.all(upstreams.map((u) => u.close())).then(() => {}) });
  await Promise.all(upstreams.map((u) => u.start()));
  const prefixes = new Map(Object.entries(config.upstreams).map(([name, u]) => [name, u.prefix]));
  const catalogue = new ToolCatalogue(upstreams, prefixes, log, new Map(Object.entries(config.tool_owners)));
  const collisions = catalogue.collisions();
  if (collisions.length > 0)
    throw new AirlockError('upstream_tool_collision', collisions.map(collisionMessage).join('\n'));
  const resources = new ResourceCatalogue(upstreams, prefixes, log);
  return { upstreams, catalogue, resources };
}

/**
 * The call path over the stores and upstreams: input rounds and their relay between processes,
 * the tasks (approval and upstream; this process runs approved tasks), the pipeline.
 */
export async function startCallPath(
  config: Config,
  log: Logger,
  stores: Stores,
  {
    policies,
    catalogue,
    upstreams,
  }: { policies: PolicySet; catalogue: ToolCatalogue; upstreams: UpstreamConnection[] },
  closers: Closer[],
  telemetry: Telemetry,
) {
  const drain = new AbortController();
  const { slack } = stores;
  const rounds = new InputRounds(() => roundStateSecret(stores.redisClient, config.redis?.prefix));
  const held = new HeldRounds();
  const relay = await RoundRelay.start(held, stores.redis, config.redis?.prefix, log);
  closers.push({ name: 'held-call relay', close: () => relay.close() });
  const tasks = createTasks({
    redis: stores.redisClient,
    prefix: config.redis?.prefix,
    upstreams,
    process: held.process,
    relay: (...request) => relay.relayTask(...request),
    engine: stores.approvals,
    retentionMs: config.approvals.retention,
    catalogue,
    policies,
    grants: config.grants,
    audit: stores.audit,
    log,
  });
  relay.serveTasks(tasks.upstream);
  closers.push({ name: 'task subscriptions', close: () => tasks.subscriptions.close() });
  const pipeline = new CallPipeline({
    catalogue,
    rounds,
    held,
    relay,
    tasks: tasks.upstream,
    approvalTasks: tasks.approvals,
    policies,
    limiter: stores.limiter,
    approvals: stores.approvals,
    audit: stores.audit,
    log,
    progressEveryMs: config.approvals.progress_interval,
    drain: drain.signal,
    telemetry,
    ...(slack ? { deliveryNote: (id: string) => slack.deliveryNote(id) } : {}),
  });
  return { pipeline, rounds, tasks, drain };
}
