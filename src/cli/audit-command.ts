import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Redis } from 'ioredis';
import { chainFiles } from '../audit/chain.js';
import { parseAuditConfig, type AuditConfig } from '../audit/config.js';
import type { AuditEvent } from '../audit/events.js';
import { matchesQuery, formatEvent, parseDecision, parseSince, parseTypes, type AuditQuery } from '../audit/query.js';
import { followFile, followStream, readFileEvents, readStreamEvents, tailFileEvents, tailStreamEvents } from '../audit/reader.js';
import { auditStreamKey } from '../audit/stream-sink.js';
import { formatVerifyResult, verifyAuditFiles } from '../audit/verify.js';
import { DATA_DIR, embeddedDefaultConfig, loadConfig } from '../config/index.js';
import { withConfiguredRedis } from '../redis/configured.js';
import { answersPing } from '../redis/redis-process.js';
import { AirlockError, describeError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { exitOnError } from './process.js';

interface CommonOptions {
  config?: string;
  source?: 'file' | 'stream';
  json?: boolean;
}

type Source = { kind: 'file'; file: string } | { kind: 'stream'; redis: Redis; key: string };

/** `airlock audit tail | query | verify`: read the audit trail from the file or the Redis stream. */
export function auditCommand(): Command {
  const audit = new Command('audit').description('Read and verify the audit trail (hash-chained file, Redis stream)');
  const common = (c: Command) =>
    c
      .option('--json', 'one JSON event per line instead of text')
      .option('--source <source>', 'file or stream (default: the stream when Redis is configured and answers, else the file)', parseSource)
      .option('-c, --config <file>', 'config file (default ./airlock.config.json, else the embedded default)');

  common(audit.command('tail'))
    .description('Print the newest events; -f keeps printing new ones until Ctrl-C')
    .option('-n, --lines <count>', 'how many events', parseCount, 20)
    .option('-f, --follow', 'keep printing events as they come')
    .action(async (options: CommonOptions & { lines: number; follow?: boolean }) => {
      const log = cliLogger();
      await exitOnError(log, () =>
        withSource(options, log, async (source) => {
          const print = printer(options.json);
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          if (options.follow) process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
          try {
            if (source.kind === 'stream') {
              const { events, lastId } = await tailStreamEvents(source.redis, source.key, options.lines);
              events.forEach(print);
              if (options.follow) await followStream(source.redis, source.key, lastId, print, stop.signal);
            } else {
              if (options.follow) await followFile(source.file, print, stop.signal, { tail: options.lines });
              else tailFileEvents(source.file, options.lines).forEach(print);
            }
          } finally {
            process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
          }
        }),
      );
    });

  common(audit.command('query'))
    .description('Print the events that match every filter given, oldest first')
    .option('--grant <grant>', 'only this grant')
    .option('--tool <tool>', 'only this tool (as the policy names it)')
    .option('--since <when>', 'only events since a duration ago ("1h", "15m") or an ISO time')
    .option('--decision <decision>', 'allow, deny, require_approval, approved, denied, expired, withdrawn, rate_limited or refused')
    .option('--type <types>', 'only these event types, comma-separated (e.g. call.outcome)')
    .option('--call <id>', 'only this call id')
    .option('--approval <id>', 'only this approval id')
    .option('-n, --limit <count>', 'stop after this many events', parseCount)
    .action(async (options: CommonOptions & { grant?: string; tool?: string; since?: string; decision?: string; type?: string; call?: string; approval?: string; limit?: number }) => {
      const log = cliLogger();
      await exitOnError(log, async () => {
        const query = buildQuery(options);
        await withSource(options, log, async (source) => {
          const print = printer(options.json);
          const events = source.kind === 'stream' ? readStreamEvents(source.redis, source.key, query.sinceMs) : readFileEvents(source.file, query.sinceMs);
          let printed = 0;
          for await (const event of events) {
            if (!matchesQuery(event, query)) continue;
            print(event);
            if (++printed === options.limit) break;
          }
          if (printed === 0 && !options.json) process.stderr.write(`no matching events (${source.kind === 'file' ? source.file : `stream ${source.key}`})\n`);
        });
      });
    });

  audit
    .command('verify')
    .description('Check the hash chain; with no files, the configured audit file and all its rotated predecessors')
    .argument('[files...]', 'audit files in chain order (oldest first)')
    .option('-c, --config <file>', 'config file (default ./airlock.config.json, else the embedded default)')
    .action(async (files: string[], options: { config?: string }) => {
      const log = cliLogger();
      await exitOnError(log, async () => {
        let paths = files;
        if (paths.length === 0) {
          const { file } = loadAuditConfig(options.config);
          paths = chainFiles(file);
          if (paths.length === 0) throw new AirlockError('config_invalid', `no audit file at ${file} (nothing to verify)`);
        }
        const result = verifyAuditFiles(paths);
        if (result.ok) {
          process.stdout.write(`${formatVerifyResult(result)}\n`);
        } else {
          process.stdout.write(`audit chain broken: ${formatVerifyResult(result)}\n`);
          process.exitCode = 1;
        }
      });
    });
  return audit;
}

function buildQuery(options: { grant?: string; tool?: string; since?: string; decision?: string; type?: string; call?: string; approval?: string }): AuditQuery {
  const query: AuditQuery = {};
  if (options.grant !== undefined) query.grant = options.grant;
  if (options.tool !== undefined) query.tool = options.tool;
  if (options.call !== undefined) query.callId = options.call;
  if (options.approval !== undefined) query.approvalId = options.approval;
  if (options.since !== undefined) {
    const since = parseSince(options.since, Date.now());
    if (since === undefined) throw new InvalidArgumentError(`--since: expected a duration like "1h" or an ISO time, got ${JSON.stringify(options.since)}`);
    query.sinceMs = since;
  }
  if (options.decision !== undefined) {
    const decision = parseDecision(options.decision);
    if (decision === undefined) throw new InvalidArgumentError(`--decision: unknown decision ${JSON.stringify(options.decision)}`);
    query.decision = decision;
  }
  if (options.type !== undefined) {
    const parsed = parseTypes(options.type);
    if ('unknown' in parsed) throw new InvalidArgumentError(`--type: unknown event type ${JSON.stringify(parsed.unknown)}`);
    query.types = parsed.types;
  }
  return query;
}

/** The audit section of the config, its file made absolute (relative to the config file). */
function loadAuditConfig(configFile: string | undefined): AuditConfig & { redisConfigured: boolean } {
  const loaded = loadConfig({ ...(configFile === undefined ? {} : { file: configFile }), embedded: () => embeddedDefaultConfig() });
  const baseDir = loaded.embedded ? process.cwd() : dirname(resolve(loaded.source));
  const audit = parseAuditConfig((loaded.config as { audit?: unknown }).audit, { source: loaded.source, baseDir });
  return { ...audit, redisConfigured: loaded.config.redis !== undefined };
}

/**
 * The stream when asked for, or by default when Redis is configured (or the embedded one is
 * running) and answers; otherwise the file. An explicit `--source stream` fails if Redis does not.
 */
async function withSource(options: CommonOptions, log: Logger, body: (source: Source) => Promise<void>): Promise<void> {
  const config = loadAuditConfig(options.config);
  const file: Source = { kind: 'file', file: config.file };
  if (options.source === 'file') return body(file);
  if (options.source === undefined && !config.redisConfigured && !(await embeddedRedisRunning())) return body(file);
  try {
    await withConfiguredRedis(options.config, log, ({ client, prefix }) => body({ kind: 'stream', redis: client, key: auditStreamKey(prefix) }));
  } catch (error) {
    if (options.source === 'stream' || !(error instanceof AirlockError && error.code === 'redis_unavailable')) throw error;
    process.stderr.write(`airlock: ${describeError(error)}; reading the audit file instead\n`);
    await body(file);
  }
}

/** The embedded default's redis-server, when a gateway started it (never start one just to read). */
async function embeddedRedisRunning(): Promise<boolean> {
  const socket = join(resolve(DATA_DIR), 'redis', 'redis.sock');
  return existsSync(socket) && (await answersPing(socket));
}

function printer(json: boolean | undefined): (event: AuditEvent) => void {
  return (event) => process.stdout.write(`${json ? JSON.stringify(event) : formatEvent(event)}\n`);
}

function parseSource(value: string): 'file' | 'stream' {
  if (value !== 'file' && value !== 'stream') throw new InvalidArgumentError('expected "file" or "stream"');
  return value;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function cliLogger(): Logger {
  return createLogger({ level: process.env.AIRLOCK_LOG_LEVEL ?? 'warn' });
}
