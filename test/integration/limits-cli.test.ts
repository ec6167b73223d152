import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitsCommand } from '../../src/cli/limits-command.js';
import { RateLimiter, type CounterUsage } from '../../src/limits/index.js';
import { makeLimit, requestClient } from '../helpers/limits.js';
import { ROOT, tempDir, writeJson } from '../helpers/paths.js';
import { removeDir, startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { runCommand } from '../helpers/capture-stdout.js';

let server: TestRedis;
let redis: Redis;
let configFile: string;

const config = (url: string) => ({
  redis: { url },
  upstreams: { fixture: { command: 'true' } },
  policy: 'policy.json',
  grants: [
    { name: 'alice', token: 'alice-token-0123456789' },
    { name: 'bob', token: 'bob-token-0123456789ab' },
  ],
});

beforeAll(async () => {
  server = await startTestRedis();
  redis = await requestClient(server.socketPath);
  const dir = tempDir();
  writeJson(join(dir, 'policy.json'), {
    version: '1',
    default: 'deny',
    tools: {
      copy_model_version: {
        limits: [{ counter: 'copy_model_version_rate', window: 'minute', max: 30, scope: 'grant' }],
      },
    },
  });
  configFile = writeJson(join(dir, 'airlock.config.json'), config(`unix://${server.socketPath}`));
  // The CLI reads the default {airlock} prefix: this Redis is this file's own.
  const limiter = new RateLimiter(redis);
  const copy = makeLimit('copy_model_version_rate', 60_000, 30);
  for (const grant of ['alice', 'alice', 'bob'])
    await limiter.reserve([{ ...copy, window: 'minute' }], { grant, session: 's' });
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
  removeDir(server.dir);
});

const run = (...args: string[]) => runCommand(limitsCommand(), 'airlock-limits', ...args);

describe('airlock limits show', () => {
  it('prints a table of counters with use, window and reset time', async () => {
    const lines = (await run('show', '--config', configFile)).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^COUNTER\s+SCOPE\s+ID\s+USED\/MAX\s+WINDOW\s+RESETS IN$/u);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^copy_model_version_rate\s+grant\s+alice\s+2\/30\s+minute\s+(59|60) s$/u),
      expect.stringMatching(/^copy_model_version_rate\s+grant\s+bob\s+1\/30\s+minute\s+(59|60) s$/u),
    ]);
  });

  it('prints JSON for one grant', async () => {
    const rows = JSON.parse(await run('show', '--grant', 'bob', '--json', '-c', configFile)) as CounterUsage[];
    expect(rows).toMatchObject([
      { counter: 'copy_model_version_rate', scope: 'grant', scopeId: 'bob', used: 1, max: 30, window: 'minute' },
    ]);
  });
});

describe('airlock limits reset', () => {
  it("deletes one grant's counter, then says when there is nothing left", async () => {
    expect(await run('reset', 'copy_model_version_rate', '--grant', 'alice', '--config', configFile)).toBe(
      'Reset counter "copy_model_version_rate" for grant "alice": 2 Redis keys deleted.\n',
    );
    expect(await run('reset', 'copy_model_version_rate', '--grant', 'alice', '--config', configFile)).toBe(
      'Counter "copy_model_version_rate" has no state for grant "alice": nothing to reset.\n',
    );
    expect(await run('show', '--config', configFile)).toMatch(/bob\s+1\/30/u);
    expect(await run('show', '--config', configFile)).not.toMatch(/alice/u);
  });
});

describe('arguments that name nothing', () => {
  it('--grant with no such grant says so and exits non-zero, for show and reset', async () => {
    for (const args of [
      ['show', '--grant', 'nobody'],
      ['reset', 'copy_model_version_rate', '--grant', 'nobody'],
    ]) {
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'test/fixtures/limits-cli.ts'), ...args, '--config', configFile],
        { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('airlock: --grant nobody: no such grant (grants: alice, bob)');
    }
  });

  it('reset of a counter the policy does not name says so and exits non-zero', () => {
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'test/fixtures/limits-cli.ts'),
        'reset',
        'copy_model_version_rat',
        '--config',
        configFile,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'airlock: counter "copy_model_version_rat" is not named by the policy (counters: copy_model_version_rate)',
    );
  });
});

describe('errors', () => {
  it('exits non-zero with a clear message when Redis is unreachable', () => {
    const dir = tempDir();
    const file = writeJson(join(dir, 'airlock.config.json'), config(`unix://${join(dir, 'nothing-here.sock')}`));
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/fixtures/limits-cli.ts'), 'show', '--config', file],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^airlock: Redis at unix:\/\/.*nothing-here\.sock is unreachable/mu);
    removeDir(dir);
  });

  it('exits non-zero when the config file is missing', () => {
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'test/fixtures/limits-cli.ts'),
        'reset',
        'x',
        '--config',
        '/nonexistent/airlock.json',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/config file not found/u);
  });
});
