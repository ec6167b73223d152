import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AirlockError } from '../shared/errors.js';
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

const load = (value: unknown, env: NodeJS.ProcessEnv = { LAPTOP_TOKEN: 'a-long-enough-laptop-token' }) =>
  loadConfig({ file: writeConfig(value), env, embedded: () => embeddedDefaultConfig() });

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
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(config.grants[0]).toMatchObject({ token: 'a-long-enough-laptop-token', hold: 50_000, max_pending: 10 });
    expect(config.policy).toBe(join(source, '..', 'policies/mlflow.json'));
    expect(config.upstreams.mlflow).toMatchObject({ call_timeout: 300_000 });
  });

  it('interpolates ${ENV}, honours ${ENV:-fallback} and the $${ escape', () => {
    const { config } = load({
      ...minimal,
      upstreams: { other: { url: 'http://127.0.0.1:9000/mcp', headers: { authorization: 'Bearer ${OTHER:-fallback}', literal: '$${NOT_A_VAR}' } } },
    });
    expect(config.upstreams.other).toMatchObject({ headers: { authorization: 'Bearer fallback', literal: '${NOT_A_VAR}' } });
  });

  it('names the JSON path and the variable when an environment variable is missing', () => {
    const error = failure(() => load(minimal, {}));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toMatch(/airlock\.config\.json: \/grants\/0\/token: environment variable LAPTOP_TOKEN is not set/);
  });

  it('rejects unknown keys, naming them and where they are', () => {
    const error = failure(() => load({ ...minimal, listen: { host: '127.0.0.1', prot: 1 } }));
    expect(error.message).toMatch(/\/listen: unknown key "prot"/);
  });

  it('explains a bad duration', () => {
    const error = failure(() => load({ ...minimal, grants: [{ name: 'laptop', token: 'a-long-enough-token-xx', hold: 'soon' }] }));
    expect(error.message).toMatch(/\/grants\/0\/hold: expected a duration like .*got "soon"/);
  });

  it('requires a token or token_sha256 for each grant and unique grant names', () => {
    expect(failure(() => load({ ...minimal, grants: [{ name: 'laptop' }] })).message).toMatch(/\/grants\/0: expected "token" or "token_sha256"/);
    const twice = { ...minimal, grants: [{ name: 'a', token: 'token-number-one-xxxx' }, { name: 'a', token: 'token-number-two-xxxx' }] };
    expect(failure(() => load(twice)).message).toMatch(/\/grants\/1\/name: grant name "a" is used twice/);
  });

  it('reports invalid JSON with line and column', () => {
    const error = failure(() => load('{\n  "policy": "x",\n  "grants": [,]\n}'));
    expect(error.message).toMatch(/invalid JSON at line 3, column 14/);
  });

  it('says when --config names a file that does not exist', () => {
    const error = failure(() => loadConfig({ file: '/nonexistent/airlock.config.json', embedded: () => embeddedDefaultConfig() }));
    expect(error.code).toBe('config_not_found');
  });
});

describe('embeddedDefaultConfig', () => {
  it('validates: the stand-in upstream, the seed policy, one demo grant with a stable token', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-data-'));
    const config = validateConfig(embeddedDefaultConfig(dataDir), '(embedded default)', dataDir);
    expect(Object.keys(config.upstreams)).toEqual(['mlflow']);
    expect(config.policy).toMatch(/policies\/mlflow\.json$/);
    expect(config.redis).toBeUndefined();
    const again = validateConfig(embeddedDefaultConfig(dataDir), '(embedded default)', dataDir);
    expect(again.grants[0]!.token).toBe(config.grants[0]!.token);
  });
});
