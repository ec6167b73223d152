import { describe, expect, it } from 'vitest';
import { formatIssues } from '../shared/index.js';
import { redisTarget } from '../redis/index.js';
import { RedisConfigSchema } from './redis.js';

/** The section parsed, or its errors as loadConfig words them. */
function parse(section: unknown) {
  const result = RedisConfigSchema.safeParse(section);
  return result.success ? result.data : formatIssues('airlock.config.json', result.error.issues);
}

const nodes = ['redis://127.0.0.1:7000', 'redis://127.0.0.1:7001'];

describe('the redis section', () => {
  it('takes one server, a cluster or a Sentinel master, each with the one-hash-tag prefix', () => {
    expect(parse({ url: 'redis://h:6379' })).toEqual({ url: 'redis://h:6379', prefix: '{airlock}' });
    const cluster = parse({ cluster: { nodes }, prefix: '{prod}' });
    expect(cluster).toEqual({ cluster: { nodes }, prefix: '{prod}' });
    expect(redisTarget(cluster as { cluster: { nodes: string[] } })).toEqual({ cluster: { nodes } });
    const sentinel = { name: 'mymaster', sentinels: ['redis://10.0.0.1:26379'], password: 'pw', db: 2, tls: true };
    expect(parse({ sentinel })).toEqual({ sentinel, prefix: '{airlock}' });
    expect(parse({ cluster: { nodes }, prefix: 'airlock' })).toMatch(/\/prefix: expected one hash tag/u);
  });

  it('wants exactly one form', () => {
    expect(parse({ url: 'redis://h:6379', cluster: { nodes } })).toBe(
      'airlock.config.json: /: expected only one of "url", "cluster" or "sentinel", got "url" and "cluster"',
    );
    expect(parse({ prefix: '{p}' })).toBe(
      'airlock.config.json: /: expected one of "url", "cluster" or "sentinel" (or no redis section, for the embedded redis-server)',
    );
  });

  it('explains cluster node and Sentinel addresses it cannot use', () => {
    expect(parse({ cluster: { nodes: ['unix:///tmp/redis.sock'] } })).toBe(
      'airlock.config.json: /cluster/nodes/0: expected a redis:// or rediss:// URL with a host',
    );
    expect(parse({ cluster: { nodes: ['redis://h:7000/3'] } })).toBe(
      'airlock.config.json: /cluster/nodes/0: expected no database in the URL (a cluster has only 0)',
    );
    expect(parse({ cluster: { nodes: [] } })).toBe(
      'airlock.config.json: /cluster/nodes: expected at least one seed node',
    );
    expect(parse({ cluster: { nodes: ['redis://:a@h:7000', 'rediss://:a@h:7001'] } })).toBe(
      'airlock.config.json: /cluster/nodes: expected the same scheme and credentials in every URL (they apply to all)',
    );
    expect(parse({ sentinel: { name: 'm', sentinels: ['redis://h'], port: 1 } })).toBe(
      'airlock.config.json: /sentinel: unknown key "port"',
    );
  });
});
