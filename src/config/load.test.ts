import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AirlockError } from '../shared/index.js';
import { resolveDataDir } from './data-dir.js';
import { embeddedDefaultConfig } from './embedded.js';
import { loadConfig, validateConfig } from './load.js';

const minimal = {
  upstreams: { mlflow: { command: 'uvx', args: ['mlflow-mcp'] } },
  policy: 'policies/mlflow.json',
  grants: [{ name: 'laptop', token: '${LAPTOP_TOKEN}' }],
};

function writeConfig(value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-config-'));
  const file = join(dir, 'airlock.config.json');
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const dataDir = mkdtempSync(join(tmpdir(), 'airlock-data-'));
const load = (value: unknown, env: NodeJS.ProcessEnv = { LAPTOP_TOKEN: 'a-long-enough-laptop-token' }) =>
  loadConfig({ file: writeConfig(value), env, dataDir });

const failure = (fn: () => unknown): AirlockError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof AirlockError) return error;
    throw error;
  }
  throw new Error('expected an AirlockError');
};

describe('loadConfig', () => {
  it('fills defaults and resolves relative paths against the config file', () => {
    const { config, source } = load(minimal);
    expect(config.listen).toEqual({
      host: '127.0.0.1',
      port: 8787,
      max_sockets_per_address: 64,
      header_timeout: 10_000,
      body_timeout: 10_000,
    });
    expect(config.sessions).toEqual({ idle_timeout: 1_800_000, max: 1_000, max_per_grant: 100 });
    expect(config.grants[0]).toMatchObject({ token: 'a-long-enough-laptop-token', hold: 50_000, max_pending: 10 });
    expect(config.policy).toBe(join(source, '..', 'policies/mlflow.json'));
    expect(config.upstreams.mlflow).toMatchObject({ call_timeout: 300_000, cwd: join(source, '..') });
  });

  it('resolves relative paths against the config file, never the working directory', () => {
    const { config, source } = load({
      ...minimal,
      audit: { dir: 'logs/audit', file: 'one.jsonl' },
      upstreams: { mlflow: { command: './bin/server', cwd: 'srv' } },
    });
    const folder = join(source, '..');
    expect(config.audit.dir).toBe(join(folder, 'logs/audit'));
    expect(config.audit.file).toBe(join(folder, 'one.jsonl'));
    expect(config.upstreams.mlflow).toMatchObject({ cwd: join(folder, 'srv') });
  });

  it('puts the audit directory in the data directory by default', () => {
    expect(load(minimal).config.audit.dir).toBe(join(dataDir, 'audit'));
    expect(load(minimal).config.audit.file).toBeUndefined();
  });

  it('names the JSON pointer of a bad audit setting', () => {
    const error = failure(() => load({ ...minimal, audit: { max_bytes: -1, oops: 1 } }));
    expect(error.message).toMatch(/airlock\.config\.json: \/audit: unknown key "oops"/u);
    expect(error.message).toMatch(/airlock\.config\.json: \/audit\/max_bytes: /u);
  });

  it('interpolates ${ENV}, honours ${ENV:-fallback} and the $${ escape', () => {
    const { config } = load({
      ...minimal,
      upstreams: {
        other: {
          url: 'http://127.0.0.1:9000/mcp',
          headers: { authorization: 'Bearer ${OTHER:-fallback}', literal: '$${NOT_A_VAR}' },
        },
      },
    });
    expect(config.upstreams.other).toMatchObject({
      headers: { authorization: 'Bearer fallback', literal: '${NOT_A_VAR}' },
    });
  });

  it('names the JSON path and the variable when an environment variable is missing', () => {
    const error = failure(() => load(minimal, {}));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toMatch(
      /airlock\.config\.json: \/grants\/0\/token: environment variable LAPTOP_TOKEN is not set/,
    );
  });

  it('rejects unknown keys, naming them and where they are', () => {
    const error = failure(() => load({ ...minimal, listen: { host: '127.0.0.1', prot: 1 } }));
    expect(error.message).toMatch(/\/listen: unknown key "prot"/);
  });

  it('explains a bad duration', () => {
    const error = failure(() =>
      load({ ...minimal, grants: [{ name: 'laptop', token: 'a-long-enough-token-xx', hold: 'soon' }] }),
    );
    expect(error.message).toMatch(/\/grants\/0\/hold: expected a duration like .*got "soon"/);
  });

  it('requires a token or token_sha256 for each grant and unique grant names', () => {
    expect(failure(() => load({ ...minimal, grants: [{ name: 'laptop' }] })).message).toMatch(
      /\/grants\/0: expected "token" or "token_sha256"/,
    );
    const twice = {
      ...minimal,
      grants: [
        { name: 'a', token: 'token-number-one-xxxx' },
        { name: 'a', token: 'token-number-two-xxxx' },
      ],
    };
    expect(failure(() => load(twice)).message).toMatch(/\/grants\/1\/name: grant name "a" is used twice/);
  });

  it('reports invalid JSON with line and column', () => {
    const error = failure(() => load('{\n  "policy": "x",\n  "grants": [,]\n}'));
    expect(error.message).toMatch(/invalid JSON at line 3, column 14/);
  });

  it('says when --config names a file that does not exist', () => {
    const error = failure(() => loadConfig({ file: '/nonexistent/airlock.config.json', dataDir }));
    expect(error.code).toBe('config_not_found');
  });
});

describe('loadConfig: the slack section, parsed once', () => {
  const slackEnv = {
    LAPTOP_TOKEN: 'a-long-enough-laptop-token',
    SLACK_BOT_TOKEN: 'xoxb-env',
    SLACK_SIGNING_SECRET: 's',
    SLACK_APPROVALS_CHANNEL: 'C0ENV',
  };

  it('takes Slack from SLACK_* without a section, its durations in milliseconds (a second parse would read them as seconds)', () => {
    expect(load(minimal, slackEnv).config.slack).toEqual({
      bot_token: 'xoxb-env',
      signing_secret: 's',
      approvals_channel: 'C0ENV',
      listen: {
        host: '127.0.0.1',
        port: 3000,
        max_sockets_per_address: 64,
        header_timeout: 10_000,
        body_timeout: 10_000,
      },
      group_cache_ttl: 300_000,
      retry: { attempts: 12, initial_delay: 1_000, max_delay: 60_000 },
    });
  });

  it('prefers the file\'s section to SLACK_* and reads its durations once ("100ms" stays 100)', () => {
    const slack = {
      bot_token: 'xoxb-file',
      signing_secret: 's',
      approvals_channel: 'C0FILE',
      group_cache_ttl: '2m',
      retry: { initial_delay: '100ms', max_delay: '1s' },
    };
    expect(load({ ...minimal, slack }, slackEnv).config.slack).toMatchObject({
      bot_token: 'xoxb-file',
      approvals_channel: 'C0FILE',
      group_cache_ttl: 120_000,
      retry: { attempts: 12, initial_delay: 100, max_delay: 1_000 },
    });
  });

  it('leaves Slack off without a section or SLACK_*, and names what is missing when half configured', () => {
    expect(load(minimal).config.slack).toBeUndefined();
    expect(
      failure(() => load(minimal, { LAPTOP_TOKEN: 'a-long-enough-laptop-token', SLACK_BOT_TOKEN: 'xoxb-env' })).message,
    ).toMatch(/^Slack is half configured: SLACK_SIGNING_SECRET, SLACK_APPROVALS_CHANNEL are not set/u);
  });
});

describe('embeddedDefaultConfig', () => {
  it('validates: the stand-in upstream, the seed policy, one demo grant with a stable token', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-data-'));
    const config = validateConfig(embeddedDefaultConfig(dataDir), '(embedded default)', dataDir, dataDir);
    expect(Object.keys(config.upstreams)).toEqual(['mlflow']);
    expect(config.policy).toMatch(/policies\/mlflow\.json$/);
    expect(config.redis).toBeUndefined();
    const again = validateConfig(embeddedDefaultConfig(dataDir), '(embedded default)', dataDir, dataDir);
    expect(again.grants[0]!.token).toBe(config.grants[0]!.token);
  });

  it('keeps its state in the data directory it is given (created when missing)', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'airlock-data-')), 'nested', 'home');
    const { config, embedded } = loadConfig({ dataDir, file: undefined });
    expect(embedded).toBe(true);
    expect(readFileSync(join(dataDir, 'demo-token'), 'utf8').trim()).toBe(config.grants[0]!.token);
    expect(JSON.stringify(config.upstreams.mlflow)).toContain(join(dataDir, 'mlflow-state.json'));
    expect(config.audit.dir).toBe(join(dataDir, 'audit'));
  });

  it('says which directory it cannot use and how to choose another', () => {
    const notADirectory = join(writeConfig('{}'), 'home');
    const error = failure(() => loadConfig({ dataDir: notADirectory, file: undefined }));
    expect(error.code).toBe('data_dir_unusable');
    expect(error.message).toContain(`cannot use the data directory ${notADirectory} (`);
    expect(error.message).toMatch(/--data-dir <dir> or set AIRLOCK_HOME/u);
  });
});

describe('resolveDataDir', () => {
  it('takes --data-dir, else AIRLOCK_HOME, else XDG_STATE_HOME/airlock, else ~/.local/state/airlock', () => {
    expect(resolveDataDir('rel/dir', { AIRLOCK_HOME: '/a' })).toBe(resolve('rel/dir'));
    expect(resolveDataDir(undefined, { AIRLOCK_HOME: '/a', XDG_STATE_HOME: '/x' })).toBe('/a');
    expect(resolveDataDir(undefined, { XDG_STATE_HOME: '/x' })).toBe('/x/airlock');
    expect(resolveDataDir(undefined, { XDG_STATE_HOME: 'relative/ignored' })).toBe(
      join(homedir(), '.local', 'state', 'airlock'),
    );
    expect(resolveDataDir(undefined, {})).toBe(join(homedir(), '.local', 'state', 'airlock'));
  });
});
