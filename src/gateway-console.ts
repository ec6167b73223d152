import type { AuditSource } from './audit/index.js';
import type { Config } from './config/index.js';
import type { OperatorData } from './console/index.js';
import type { RateLimiter } from './limits/index.js';
import type { ToolCatalogue, UpstreamConnection } from './mcp/index.js';
import type { PolicySet } from './policy/index.js';
import { auditStreamKey, type RedisClient } from './redis/index.js';
import type { ClassifiedTool } from './risk/index.js';

/**
 * What the console's operator pages read, from the running parts: events from the Redis stream
 * while Redis answers (every process writes it), else from the audit files; the catalogue's
 * tools under their upstream names (what policies match); the limiter's counters.
 */
export function consoleData(parts: {
  config: Config;
  policies: PolicySet;
  catalogue: ToolCatalogue;
  upstreams: readonly UpstreamConnection[];
  limiter: RateLimiter;
  redisClient: RedisClient;
  prefix: string;
}): OperatorData {
  const { config, policies, catalogue, upstreams, limiter, redisClient, prefix } = parts;
  const files: AuditSource = {
    kind: 'file',
    chains: config.audit.file !== undefined ? { file: config.audit.file } : { dir: config.audit.dir! },
  };
  return {
    auditSource: () =>
      redisClient.status === 'ready' ? { kind: 'stream', redis: redisClient, key: auditStreamKey(prefix) } : files,
    policies,
    grants: config.grants,
    policyFile: config.policy,
    tools: () => {
      const byServer = new Map<string, ClassifiedTool[]>(upstreams.map((u) => [u.name, []]));
      for (const entry of catalogue.list())
        byServer.get(entry.upstream.name)?.push({ ...entry.tool, name: entry.upstreamTool });
      return byServer;
    },
    unreachable: () =>
      upstreams
        .filter((u) => u.state !== 'ready')
        .map((u) => ({ name: u.name, error: `${u.state}${u.lastError === undefined ? '' : `: ${u.lastError}`}` })),
    usage: () => limiter.usage(),
    rejectedEdit: () => policies.status().rejected.find((r) => r.file === config.policy)?.error,
  };
}
