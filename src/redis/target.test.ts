import { describe, expect, it } from 'vitest';
import { clusterOptions, describeTarget, redisOptions } from './target.js';

describe('Redis targets', () => {
  it('name themselves without their credentials', () => {
    expect(describeTarget('redis://user:s3cret@h:6379/1')).toBe('Redis at redis://h:6379/1');
    expect(describeTarget('unix:///run/redis.sock')).toBe('Redis at unix:///run/redis.sock');
    expect(describeTarget({ cluster: { nodes: ['rediss://:s3cret@a:7000', 'rediss://:s3cret@b:7000'] } })).toBe(
      'the Redis Cluster at rediss://a:7000, rediss://b:7000',
    );
    expect(
      describeTarget({ sentinel: { name: 'mymaster', sentinels: ['redis://:s3cret@s1:26379'], password: 's3cret' } }),
    ).toBe('the Redis master "mymaster" of the Sentinels at redis://s1:26379');
  });

  it('give every cluster node the role options and the seed URLs credentials and TLS', () => {
    const { nodes, options } = clusterOptions(
      { nodes: ['rediss://u:p%40w@a:7000', 'rediss://u:p%40w@b:7001'] },
      'request',
    );
    expect(nodes).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ]);
    expect(options).toMatchObject({
      enableOfflineQueue: false,
      redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 2_000, username: 'u', password: 'p@w', tls: {} },
    });
    expect(clusterOptions({ nodes: ['redis://a:7000'] }, 'blocking').options).toMatchObject({
      redisOptions: { maxRetriesPerRequest: null },
    });
    expect(clusterOptions({ nodes: ['redis://a:7000'] }, 'blocking').options).not.toHaveProperty('enableOfflineQueue');
  });

  it('reach a Sentinel master with the Sentinels credentials apart from the master ones', () => {
    expect(
      redisOptions(
        {
          sentinel: {
            name: 'm',
            sentinels: ['rediss://:spw@s1:26379', 'rediss://:spw@s2:26380'],
            password: 'mpw',
            db: 2,
            tls: true,
          },
        },
        'blocking',
      ),
    ).toMatchObject({
      name: 'm',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      sentinelPassword: 'spw',
      sentinelTLS: {},
      password: 'mpw',
      db: 2,
      tls: {},
      enableTLSForSentinelMode: true,
      failoverDetector: true,
      maxRetriesPerRequest: null,
    });
  });
});
