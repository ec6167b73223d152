import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalEngine } from '../../src/approvals/index.js';
import { RateLimiter } from '../../src/limits/index.js';
import { LimitKeys, RedisConnections, whenReady, type SentinelTarget } from '../../src/redis/index.js';
import { silentLogger } from '../../src/shared/logger.js';
import { approvalInput, randomPrefix } from '../helpers/approvals.js';
import { makeLimit } from '../helpers/limits.js';
import { CLI, ROOT, tempDir, writeJson } from '../helpers/paths.js';
import { removeDir } from '../helpers/redis-server.js';
import { ask, freePorts, spawnTcpRedis, stopChild, until } from '../helpers/redis-tcp.js';

/**
 * Sentinel through ioredis: a master, its replica and one Sentinel on loopback. The config's
 * `sentinel` form reaches the master the Sentinel names (the limiter, the approval engine with its
 * BullMQ worker and subscriber, the CLI), and after a failover the same connections use the
 * promoted replica.
 */
const dir = tempDir('airlock-sentinel-');
const prefix = randomPrefix();
const children: ChildProcess[] = [];
let master: number;
let replica: number;
let sentinel: number;
let target: { sentinel: SentinelTarget };
let connections: RedisConnections;

const masterPort = async () =>
  Number((await ask(sentinel, 'SENTINEL', 'get-master-addr-by-name', 'mymaster'))?.split(' ')[1]);

beforeAll(async () => {
  [master, replica, sentinel] = (await freePorts(3)) as [number, number, number];
  children.push(spawnTcpRedis(dir, master), spawnTcpRedis(dir, replica, ['--replicaof', '127.0.0.1', String(master)]));
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${sentinel}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile redis-${sentinel}.log`,
      `sentinel monitor mymaster 127.0.0.1 ${master} 1`,
      'sentinel down-after-milliseconds mymaster 5000',
      '',
    ].join('\n'),
  );
  children.push(spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' }));
  const deadline = Date.now() + 20_000;
  await until(
    async () => ((await ask(replica, 'INFO', 'replication')) ?? '').includes('master_link_status:up'),
    deadline,
    'the replica to sync',
    { dir, port: replica },
  );
  // A forced failover needs a replica the Sentinel has seen and found healthy.
  await until(
    async () => {
      const replicas = (await ask(sentinel, 'SENTINEL', 'replicas', 'mymaster')) ?? '';
      return replicas.includes(`port ${replica}`) && /flags slave (?!\S*disconnected)/u.test(replicas);
    },
    deadline,
    'the Sentinel to see the replica',
    { dir, port: sentinel },
  );
  target = { sentinel: { name: 'mymaster', sentinels: [`redis://127.0.0.1:${sentinel}`] } };
  connections = new RedisConnections(target);
  await whenReady(connections.request, { timeoutMs: 5_000, where: connections.where });
});

afterAll(async () => {
  await connections?.close();
  await Promise.all(children.map(stopChild));
  removeDir(dir);
});

describe('Redis through Sentinel', () => {
  it('reaches the master the Sentinel names: the limiter, the approval engine and the CLI', async () => {
    expect(connections.where).toBe(`the Redis master "mymaster" of the Sentinels at redis://127.0.0.1:${sentinel}`);
    const limiter = new RateLimiter(connections.request, { prefix });
    const limit = makeLimit('via_sentinel', 60_000, 2);
    const who = { grant: 'g', session: 's' };
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await limiter.reserve([limit], who)).ok);
    expect(results).toEqual([true, true, false]);
    expect(await ask(master, 'EXISTS', new LimitKeys(prefix).log('via_sentinel', 'grant', who))).toBe('1');

    const engine = await ApprovalEngine.start({ redis: connections, prefix, log: silentLogger() });
    try {
      const { approval } = await engine.request(approvalInput());
      await engine.decide(approval.id, 'approve', 'U0APPROVER');
      expect((await engine.get(approval.id)).state).toBe('approved');
    } finally {
      await engine.close();
    }

    const configFile = writeJson(join(dir, 'airlock.config.json'), {
      redis: { ...target, prefix },
      upstreams: { fixture: { command: 'true' } },
      policy: writeJson(join(dir, 'policy.json'), { version: '1', default: 'deny' }),
      grants: [{ name: 'g', token: 'sentinel-grant-token-0001' }],
    });
    const shown = spawnSync(process.execPath, [CLI, 'limits', 'show', '--config', configFile], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toMatch(/^via_sentinel\s+grant\s+g\s+2\/2\s+/mu);
  });

  it('follows a failover: the same client then writes to the promoted replica', async () => {
    expect(await ask(sentinel, 'SENTINEL', 'FAILOVER', 'mymaster')).toBe('OK');
    const deadline = Date.now() + 20_000;
    await until(async () => (await masterPort()) === replica, deadline, 'the Sentinel to promote the replica', {
      dir,
      port: sentinel,
    });
    // The Sentinel turns the old master into a replica only when it next looks (up to 10 s); until
    // then it takes writes, which are lost. The client must move over at the switch, well before.
    const key = `${prefix}:after-failover`;
    let n = 0;
    await until(
      async () => {
        const value = String(++n);
        const written = await connections.request.set(key, value).then(
          () => true,
          () => false, // fails fast while it reconnects
        );
        return written && (await ask(replica, 'GET', key)) === value;
      },
      Date.now() + 5_000,
      'a write of the same client to reach the promoted replica',
    );
    expect(await ask(replica, 'ROLE')).toMatch(/^master /u);
  });
});
