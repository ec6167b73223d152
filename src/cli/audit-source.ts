import { InvalidArgumentError } from 'commander';
import { sourceEvents, type AuditEvent, type AuditSource, type ChainSource } from '../audit/index.js';
import type { AuditConfig } from '../config/index.js';
import { auditStreamKey, embeddedRedisRunning, withConfiguredRedis } from '../redis/index.js';
import { AirlockError, describeError, type Logger } from '../shared/index.js';
import { loadCliConfig, type ConfigOptions } from './config-options.js';

/** Where the audit commands (and replay) read events: the hash-chained files, or the Redis stream. */
export type Source = AuditSource;

export interface SourceOptions extends ConfigOptions {
  source?: 'file' | 'stream';
}

/** Every event of the source since `sinceMs`, oldest first. */
export function eventsOf(source: Source, sinceMs?: number): AsyncIterable<AuditEvent> {
  return sourceEvents(source, sinceMs);
}

/** The chains to read: exactly audit.file when set, else every chain of audit.dir. */
export function configuredChains(audit: AuditConfig): ChainSource {
  if (audit.file !== undefined) return { file: audit.file };
  if (audit.dir === undefined) throw new AirlockError('config_invalid', 'no audit.dir in the loaded config');
  return { dir: audit.dir };
}

/**
 * The stream when asked for, or by default when Redis is configured (or the data directory's
 * embedded one is running) and answers; otherwise the files. An explicit `--source stream` fails
 * if Redis does not answer.
 */
export async function withSource(
  options: SourceOptions,
  log: Logger,
  body: (source: Source) => Promise<void>,
): Promise<void> {
  const loaded = loadCliConfig(options);
  const files: Source = { kind: 'file', chains: configuredChains(loaded.config.audit) };
  if (options.source === 'file') return body(files);
  if (
    options.source === undefined &&
    loaded.config.redis === undefined &&
    !(await embeddedRedisRunning(loaded.dataDir))
  )
    return body(files);
  try {
    await withConfiguredRedis(loaded, log, ({ client, prefix }) =>
      body({ kind: 'stream', redis: client, key: auditStreamKey(prefix) }),
    );
  } catch (error) {
    if (options.source === 'stream' || !(error instanceof AirlockError && error.code === 'redis_unavailable'))
      throw error;
    process.stderr.write(`airlock: ${describeError(error)}; reading the audit files instead\n`);
    await body(files);
  }
}

export function parseSource(value: string): 'file' | 'stream' {
  if (value !== 'file' && value !== 'stream') throw new InvalidArgumentError('expected "file" or "stream"');
  return value;
}
