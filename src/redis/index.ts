/**
 * Redis, owned in one place: every key name and the prefix rule (`keys.ts`), every Lua script
 * (`scripts/*.lua`, run through ioredis `defineCommand`) with its return codes, one `whenReady`,
 * and the connections, made by `RedisConnections` and injected into the modules that use them.
 * Also the embedded redis-server of a data directory. Other folders import from here only.
 *
 * @example
 * const redis = new RedisConnections(redisTarget(config.redis), log); // a URL, a cluster, a Sentinel master
 * await whenReady(redis.request, { timeoutMs: 3_000 });
 * const limiter = new RateLimiter(redis.request, { prefix });
 * const engine = await ApprovalEngine.start({ redis, prefix, log });
 * // …
 * await engine.close();
 * await redis.close(); // the owner closes the connections, last
 * @module
 */
export {
  connectRedis,
  eachMaster,
  RedisConnections,
  type CountedPubSub,
  type RedisClient,
  type RedisClients,
} from './connections.js';
export {
  describeTarget,
  redisTarget,
  type ClusterTarget,
  type RedisRole,
  type RedisSection,
  type RedisTarget,
  type SentinelTarget,
} from './target.js';
export { whenReady, type WhenReadyOptions } from './ready.js';
export { withConfiguredRedis, type ConfiguredRedis } from './configured.js';
export {
  APPROVALS_QUEUE,
  ApprovalKeys,
  AUDIT_STREAM_FIELD,
  auditStreamKey,
  DEFAULT_PREFIX,
  isValidPrefix,
  LimitKeys,
  PREFIX_RULE,
  roundRelayChannels,
  roundStateSecretKey,
  consoleSecretKey,
  consoleLoginKey,
  consoleLoginFailuresKey,
  SLACK_QUEUE,
  taskBindingKey,
  SlackKeys,
  type CallerIds,
  type ParsedLogKey,
} from './keys.js';
export {
  appendAuditEvents,
  beginExecution,
  claimRelease,
  createApproval,
  decideApproval,
  expireApproval,
  finishExecution,
  markCollected,
  reapExecution,
  releaseLimits,
  releaseLock,
  renewLease,
  reserveLimits,
  withdrawApproval,
  type RedisScript,
} from './scripts.js';
export {
  BeginCode,
  CollectCode,
  CreateCode,
  DecideCode,
  ExpireCode,
  FinishCode,
  ReapCode,
  ReserveCode,
  WithdrawCode,
} from './script-codes.js';
export { consoleSecret, roundStateSecret } from './round-secret.js';
export { evalScript, runScript, type ScriptClient } from './run-script.js';
export { embeddedRedisRunning, embeddedRedisSocket, joinEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';
export { answersPing, spawnRedisServer, type RedisProcess, type SpawnRedisOptions } from './redis-process.js';
