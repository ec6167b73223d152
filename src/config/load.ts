import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AirlockError, parseJsonText, formatIssues } from '../shared/index.js';
import { embeddedDefaultConfig } from './embedded.js';
import { interpolateEnv } from './interpolate.js';
import { ConfigSchema, type Config, type ParsedConfig } from './schema.js';
import { resolveSlackConfig } from './slack.js';

const DEFAULT_CONFIG_FILE = 'airlock.config.json';

/** A validated config plus where it came from; relative paths in it are already absolute. */
export interface LoadedConfig {
  config: Config;
  /** The file it was read from, or "(embedded default)". */
  source: string;
  embedded: boolean;
  /** The data directory (see data-dir.ts): embedded Redis, demo token, stand-in store, audit files. */
  dataDir: string;
}

export interface LoadConfigOptions {
  /** `--config`; else ./airlock.config.json when present; else the embedded default. */
  file?: string | undefined;
  /** The resolved data directory (`resolveDataDir`). */
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * `--config <file>` when given (it must exist); else ./airlock.config.json when present; else
 * the embedded default that `npm start` runs on. Relative paths in a file resolve against the
 * file's folder, never the working directory. Without a `slack` section, Slack comes from the
 * SLACK_* variables of `env`. The one place config is parsed: what it returns is final.
 */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const env = options.env ?? process.env;
  const { dataDir } = options;
  const file = options.file ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file === undefined) return loadEmbeddedConfig(dataDir, env);
  if (!existsSync(file)) {
    throw new AirlockError(
      'config_not_found',
      `${file}: config file not found (run without --config to use the embedded default)`,
    );
  }
  let raw: unknown;
  try {
    raw = parseJsonText(readFileSync(file, 'utf8'), file);
  } catch (error) {
    throw new AirlockError('config_invalid', (error as Error).message);
  }
  const interpolated = interpolateEnv(raw, env, file);
  return {
    config: withSlackFromEnv(validateConfig(interpolated, file, dirname(resolve(file)), dataDir), env),
    source: file,
    embedded: false,
    dataDir,
  };
}

/**
 * The embedded default, whatever the working directory holds (`airlock demo` must not pick up
 * an ./airlock.config.json).
 */
export function loadEmbeddedConfig(dataDir: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const source = '(embedded default)';
  return {
    config: withSlackFromEnv(validateConfig(embeddedDefaultConfig(dataDir), source, dataDir, dataDir), env),
    source,
    embedded: true,
    dataDir,
  };
}

/**
 * The SLACK_* fallback, parsed here once like the file's own section: the gateway and the bot
 * take `config.slack` as it is (a second parse read retry delays in ms as seconds, commit 0b09c49).
 */
function withSlackFromEnv(config: Config, env: NodeJS.ProcessEnv): Config {
  const slack = resolveSlackConfig(config.slack, env);
  return slack === undefined ? config : { ...config, slack };
}

/** Validates a config object; `baseDir` anchors its relative paths, `dataDir` supplies the default audit directory. */
export function validateConfig(raw: unknown, source: string, baseDir: string, dataDir: string): Config {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) throw new AirlockError('config_invalid', formatIssues(source, parsed.error.issues));
  const config = parsed.data;
  const problems = crossFieldProblems(config);
  if (problems.length > 0) throw new AirlockError('config_invalid', problems.map((p) => `${source}: ${p}`).join('\n'));
  return resolvePaths(config, baseDir, dataDir);
}

function crossFieldProblems(config: ParsedConfig): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const tokens = new Set<string>();
  config.grants.forEach((grant, index) => {
    if (names.has(grant.name)) problems.push(`/grants/${index}/name: grant name "${grant.name}" is used twice`);
    names.add(grant.name);
    if (grant.token !== undefined) {
      if (tokens.has(grant.token)) problems.push(`/grants/${index}/token: the same token is given to two grants`);
      tokens.add(grant.token);
    }
  });
  for (const [tool, upstream] of Object.entries(config.tool_owners)) {
    if (!Object.hasOwn(config.upstreams, upstream)) {
      problems.push(
        `/tool_owners/${tool}: no upstream named "${upstream}" (upstreams: ${Object.keys(config.upstreams).join(', ')})`,
      );
    }
  }
  problems.push(...sessionCapProblems(config));
  if (config.stdio_grant !== undefined && !names.has(config.stdio_grant)) {
    problems.push(`/stdio_grant: no grant named "${config.stdio_grant}" (grants: ${[...names].join(', ')})`);
  }
  return problems;
}

/**
 * With several grants, no grant's session cap may reach `sessions.max`: one agent credential
 * alone must never fill the gateway and lock the others out. A lone grant may use it all.
 */
function sessionCapProblems(config: ParsedConfig): string[] {
  const { max, max_per_grant } = config.sessions;
  const several = config.grants.length > 1;
  const fits = (cap: number) => (several ? cap < max : cap <= max);
  const limit = several
    ? `below sessions.max (${max}) so one grant cannot take every session`
    : `at most sessions.max (${max})`;
  const problems: string[] = [];
  if (!fits(max_per_grant))
    problems.push(`/sessions/max_per_grant: ${max_per_grant} is too high: set it ${limit}, or raise sessions.max`);
  config.grants.forEach((grant, index) => {
    if (grant.max_sessions !== undefined && !fits(grant.max_sessions)) {
      problems.push(
        `/grants/${index}/max_sessions: ${grant.max_sessions} (grant "${grant.name}") is too high: set it ${limit}, or raise sessions.max`,
      );
    }
  });
  return problems;
}

function resolvePaths(config: ParsedConfig, baseDir: string, dataDir: string): Config {
  const abs = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  const { file, dir } = config.audit;
  return {
    ...config,
    policy: abs(config.policy),
    audit: {
      ...config.audit,
      dir: dir === undefined ? join(dataDir, 'audit') : abs(dir),
      ...(file === undefined ? {} : { file: abs(file) }),
    },
    grants: config.grants.map((g) => (g.policy === undefined ? g : { ...g, policy: abs(g.policy) })),
    // A stdio upstream runs in the config file's folder unless told otherwise, so a relative
    // command or argument means the same whatever directory Airlock was started from.
    upstreams: Object.fromEntries(
      Object.entries(config.upstreams).map(([name, u]) => [
        name,
        'command' in u ? { ...u, cwd: abs(u.cwd ?? '.') } : u,
      ]),
    ),
  };
}
