import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { auditCommand } from '../../src/cli/audit-command.js';
import { auditConfig, quietLog, parseAuditLines } from '../helpers/audit.js';
import { waitFor } from '../helpers/gateway.js';
import { requestClient } from '../helpers/limits.js';
import { spawnAuditCli, killAuditClis } from '../helpers/audit-cli.js';
import { tempDir, writeJson } from '../helpers/paths.js';
import { removeDir, startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { runCommand } from '../helpers/capture-stdout.js';

let server: TestRedis;
let redis: Redis;
let dir: string;
let configFile: string;
/** Never the user's: the CLI looks for a running embedded Redis there. */
const dataDir = tempDir('airlock-audit-cli-data-');
let audit: AuditLog;

/** The calls the trail holds, in order. */
async function call(grant: string, tool: string, action: 'allow' | 'deny', outcome?: 'ok' | 'failure'): Promise<void> {
  const trail = audit.call({
    grant,
    session: 's',
    server: 'mlflow',
    tool,
    args: { name: 'm', token: 'tok-never-shown' },
  });
  trail.emit('call.received');
  trail.emit('policy.decided', {
    rule: `/tools/${tool}`,
    action,
    ...(action === 'deny' ? { reason: 'not for agents' } : {}),
  });
  if (outcome !== undefined) {
    trail.emit('call.forwarded');
    trail.emit('call.outcome', { outcome, duration_ms: 12 });
  }
  await audit.flush();
}

beforeAll(async () => {
  // The CLI reads the default {airlock} prefix: this Redis is this file's own.
  server = await startTestRedis();
  redis = await requestClient(server.socketPath);
  dir = tempDir('airlock-audit-cli-');
  configFile = writeJson(join(dir, 'airlock.config.json'), {
    redis: { url: `unix://${server.socketPath}` },
    upstreams: { mlflow: { command: 'true' } },
    policy: 'policy.json',
    grants: [{ name: 'alice', token: 'alice-token-0123456789' }],
    audit: { dir: 'logs' },
  });
  audit = AuditLog.open({ config: auditConfig(join(dir, 'logs')), redis, prefix: '{airlock}', log: quietLog });
  await call('alice', 'get_model', 'allow', 'ok');
  await call('bob', 'delete_model', 'deny');
  await call('alice', 'delete_model', 'deny');
  await call('bob', 'get_model', 'allow', 'failure');
});

afterAll(async () => {
  await audit.close();
  redis.disconnect();
  await server.stop();
  removeDir(server.dir);
});

const run = (...args: string[]) => runCommand(auditCommand(), 'airlock-audit', ...args, '--data-dir', dataDir);

describe('airlock audit tail', () => {
  it('prints the newest events one per line, from the stream when Redis is configured', async () => {
    const lines = (await run('tail', '-n', '3', '-c', configFile)).trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /^\S+Z {2}policy\.decided {6}bob {2}mlflow\/get_model {2}allow \/tools\/get_model {2}call_\w+$/u,
      ),
      expect.stringMatching(/^\S+Z {2}call\.forwarded {6}bob {2}mlflow\/get_model {2}call_\w+$/u),
      expect.stringMatching(/^\S+Z {2}call\.outcome {8}bob {2}mlflow\/get_model {2}failure in 12 ms {2}call_\w+$/u),
    ]);
  });

  it('prints the same events as JSON from the file and from the stream', async () => {
    const fromFile = parseAuditLines(await run('tail', '-n', '5', '--json', '--source', 'file', '-c', configFile));
    const fromStream = parseAuditLines(await run('tail', '-n', '5', '--json', '--source', 'stream', '-c', configFile));
    expect(fromFile).toHaveLength(5);
    expect(fromFile).toEqual(fromStream);
    expect(fromFile[0]).not.toHaveProperty('seq');
    expect(JSON.stringify(fromFile)).not.toContain('tok-never-shown');
  });
});

describe('airlock audit query', () => {
  it.each(['file', 'stream'])('filters by grant, tool, decision, type and time (%s)', async (source) => {
    const q = (...args: string[]) =>
      run('query', '--json', '--source', source, '-c', configFile, ...args).then(parseAuditLines);
    const denied = await q('--decision', 'deny');
    expect(denied.map((e) => [e.grant, e.tool])).toEqual([
      ['bob', 'delete_model'],
      ['alice', 'delete_model'],
    ]);
    expect((await q('--grant', 'alice', '--decision', 'deny')).map((e) => e.tool)).toEqual(['delete_model']);
    const outcomes = await q('--type', 'call.outcome', '--since', '1h');
    expect(outcomes.map((e) => [e.grant, e.type === 'call.outcome' && e.outcome])).toEqual([
      ['alice', 'ok'],
      ['bob', 'failure'],
    ]);
    expect(await q('--tool', 'get_model', '--grant', 'bob', '-n', '2').then((e) => e.map((x) => x.type))).toEqual([
      'call.received',
      'policy.decided',
    ]);
    expect(await run('query', '--json', '--source', source, '-c', configFile, '--since', '2999-01-01T00:00:00Z')).toBe(
      '',
    );
  });

  it('prints readable lines by default', async () => {
    const text = await run('query', '--decision', 'deny', '--grant', 'bob', '-c', configFile);
    expect(text).toMatch(
      /^\S+Z {2}policy\.decided {6}bob {2}mlflow\/delete_model {2}deny \/tools\/delete_model: not for agents {2}call_\w+\n$/u,
    );
  });
});

afterEach(killAuditClis);

/** The audit command as its own process (for -f and for failures, which exit). */
const spawnCli = (...args: string[]) => spawnAuditCli(...args, '--data-dir', dataDir);

describe('airlock audit tail -f', () => {
  it.each(['file', 'stream'])('prints new events as they come until interrupted (%s)', async (source) => {
    const cli = spawnCli('tail', '-f', '-n', '1', '--source', source, '-c', configFile);
    await waitFor(() => cli.out().includes('call.outcome'), 20_000, 'the last event');
    const marker = `follow-${source}`;
    await call(marker, 'get_model', 'allow', 'ok');
    await waitFor(
      () =>
        cli
          .out()
          .split('\n')
          .filter((l) => l.includes(` ${marker} `)).length === 4,
      10_000,
      'the new events',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; printed:\n${cli.out()}\nstderr:\n${cli.err()}`);
    });
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.out().trim().split('\n')).toHaveLength(5);
  });

  it('follows the file across a rotation', async () => {
    const rotDir = tempDir('airlock-audit-rotating-');
    const config = writeJson(join(rotDir, 'airlock.config.json'), {
      upstreams: { mlflow: { command: 'true' } },
      policy: 'policy.json',
      grants: [{ name: 'alice', token: 'alice-token-0123456789' }],
      audit: { dir: 'audit' },
    });
    const rotating = AuditLog.open({ config: auditConfig(join(rotDir, 'audit'), { max_bytes: 1_500 }), log: quietLog });
    const trail = rotating.call({ grant: 'g', server: 's', tool: 't', args: {} });
    await trail.emit('call.refused', { reason: 'r0' });
    const cli = spawnCli('tail', '-f', '-n', '1', '-c', config);
    await waitFor(() => cli.out().includes('r0'), 20_000, 'the first event');
    for (let i = 1; i <= 20; i++) await trail.emit('call.refused', { reason: `r${i}` });
    await waitFor(() => cli.out().includes('r20  '), 10_000, 'the events after rotations');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(
      cli
        .out()
        .trim()
        .split('\n')
        .map((l) => /refused {8}g {2}s\/t {2}(r\d+)/u.exec(l)?.[1]),
    ).toEqual(Array.from({ length: 21 }, (_, i) => `r${i}`));
    await rotating.close();
  });
});

describe('airlock audit failures', () => {
  it('exits non-zero with the reason for a bad filter or an unreachable stream', async () => {
    const bad = spawnCli('query', '--decision', 'maybe', '-c', configFile);
    expect(await bad.exited).toBe(1);
    expect(bad.err()).toContain('--decision: unknown decision "maybe"');
    const noRedis = writeJson(join(tempDir(), 'airlock.config.json'), {
      redis: { url: 'unix:///nonexistent/redis.sock' },
      upstreams: { mlflow: { command: 'true' } },
      policy: 'policy.json',
      grants: [{ name: 'alice', token: 'alice-token-0123456789' }],
    });
    const stream = spawnCli('tail', '--source', 'stream', '-c', noRedis);
    expect(await stream.exited).toBe(1);
    expect(stream.err()).toMatch(/airlock: Redis at unix:\/\/\/nonexistent\/redis\.sock is unreachable/u);
  });
});
