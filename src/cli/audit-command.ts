import { Command, InvalidArgumentError } from 'commander';
import {
  describeSource,
  followChains,
  followStream,
  formatEvent,
  formatVerifyResult,
  isDirectory,
  listChains,
  matchesQuery,
  parseDecision,
  parseSince,
  parseTypes,
  readChainEvents,
  readStreamEvents,
  tailChainEvents,
  tailStreamEvents,
  verifyAuditFiles,
  type AuditEvent,
  type AuditQuery,
  type ChainSource,
} from '../audit/index.js';
import { AirlockError, createLogger, type Logger } from '../shared/index.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';
import { configuredChains, parseSource, withSource, type Source } from './audit-source.js';
import { exitOnError } from './process.js';

interface CommonOptions extends ConfigOptions {
  source?: 'file' | 'stream';
  json?: boolean;
}

type TailOptions = CommonOptions & { lines: number; follow?: boolean };
type QueryOptions = CommonOptions & {
  grant?: string;
  tool?: string;
  since?: string;
  decision?: string;
  type?: string;
  call?: string;
  approval?: string;
  limit?: number;
};

/** `airlock audit tail | query | verify`: read the audit trail from the file or the Redis stream. */
export function auditCommand(): Command {
  const audit = new Command('audit').description(
    'Read and verify the audit trail (hash-chained files, one per process; Redis stream)',
  );
  tailCommand(common(audit.command('tail')));
  queryCommand(common(audit.command('query')));
  verifyCommand(audit.command('verify'));
  return audit;
}

function common(command: Command): Command {
  return configOptions(
    command
      .option('--json', 'one JSON event per line instead of text')
      .option(
        '--source <source>',
        'file or stream (default: the stream when Redis is configured or the embedded one runs, and answers; else every file of audit.dir)',
        parseSource,
      ),
  );
}

function tailCommand(command: Command): void {
  command
    .description('Print the newest events; -f keeps printing new ones until Ctrl-C')
    .option('-n, --lines <count>', 'how many events', parseCount, 20)
    .option('-f, --follow', 'keep printing events as they come')
    .action(async (options: TailOptions) => {
      const log = cliLogger();
      await exitOnError(log, () => withSource(options, log, (source) => tail(source, options)));
    });
}

async function tail(source: Source, options: TailOptions): Promise<void> {
  const print = printer(options.json);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (options.follow) process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    if (source.kind === 'stream') {
      const { events, lastId } = await tailStreamEvents(source.redis, source.key, options.lines);
      events.forEach(print);
      if (options.follow) await followStream(source.redis, source.key, lastId, print, stop.signal);
    } else if (options.follow) {
      await followChains(source.chains, print, stop.signal, { tail: options.lines });
    } else {
      tailChainEvents(listChains(source.chains), options.lines).forEach(print);
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

function queryCommand(command: Command): void {
  command
    .description('Print the events that match every filter given, oldest first')
    .option('--grant <grant>', 'only this grant')
    .option('--tool <tool>', 'only this tool (as the policy names it)')
    .option('--since <when>', 'only events since a duration ago ("1h", "15m") or an ISO time')
    .option(
      '--decision <decision>',
      'allow, deny, require_approval, approved, denied, expired, withdrawn, rate_limited or refused',
    )
    .option('--type <types>', 'only these event types, comma-separated (e.g. call.outcome)')
    .option('--call <id>', 'only this call id')
    .option('--approval <id>', 'only this approval id')
    .option('-n, --limit <count>', 'stop after this many events', parseCount)
    .action(async (options: QueryOptions) => {
      const log = cliLogger();
      await exitOnError(log, async () => {
        const query = buildQuery(options);
        await withSource(options, log, (source) => printMatching(source, query, options));
      });
    });
}

async function printMatching(source: Source, query: AuditQuery, options: QueryOptions): Promise<void> {
  const print = printer(options.json);
  const events =
    source.kind === 'stream'
      ? readStreamEvents(source.redis, source.key, query.sinceMs)
      : readChainEvents(listChains(source.chains), query.sinceMs);
  let printed = 0;
  for await (const event of events) {
    if (!matchesQuery(event, query)) continue;
    print(event);
    if (++printed === options.limit) break;
  }
  if (printed === 0 && !options.json)
    process.stderr.write(
      `no matching events (${source.kind === 'file' ? describeSource(source.chains) : `stream ${source.key}`})\n`,
    );
}

function verifyCommand(command: Command): void {
  configOptions(
    command
      .description(
        'Check the hash chains: with no arguments every chain of audit.dir (or the chain of audit.file), one line each',
      )
      .argument(
        '[paths...]',
        'audit files of one chain in chain order (oldest first), or audit directories (every chain in each)',
      ),
  ).action(async (paths: string[], options: ConfigOptions) => {
    const log = cliLogger();
    await exitOnError(log, async () => {
      const broken =
        paths.length === 0 ? verifyChains(configuredChains(loadCliConfig(options).config.audit)) : verifyPaths(paths);
      if (broken) process.exitCode = 1;
    });
  });
}

function buildQuery(options: {
  grant?: string;
  tool?: string;
  since?: string;
  decision?: string;
  type?: string;
  call?: string;
  approval?: string;
}): AuditQuery {
  const query: AuditQuery = {};
  if (options.grant !== undefined) query.grant = options.grant;
  if (options.tool !== undefined) query.tool = options.tool;
  if (options.call !== undefined) query.callId = options.call;
  if (options.approval !== undefined) query.approvalId = options.approval;
  if (options.since !== undefined) {
    const since = parseSince(options.since, Date.now());
    if (since === undefined)
      throw new InvalidArgumentError(
        `--since: expected a duration like "1h" or an ISO time, got ${JSON.stringify(options.since)}`,
      );
    query.sinceMs = since;
  }
  if (options.decision !== undefined) {
    const decision = parseDecision(options.decision);
    if (decision === undefined)
      throw new InvalidArgumentError(`--decision: unknown decision ${JSON.stringify(options.decision)}`);
    query.decision = decision;
  }
  if (options.type !== undefined) {
    const parsed = parseTypes(options.type);
    if ('unknown' in parsed)
      throw new InvalidArgumentError(`--type: unknown event type ${JSON.stringify(parsed.unknown)}`);
    query.types = parsed.types;
  }
  return query;
}

/** One line per chain (`<instance>: OK: …` or `<instance>: audit chain broken: …`); true when any is broken. */
function verifyChains(source: ChainSource): boolean {
  const chains = listChains(source);
  if (chains.length === 0)
    throw new AirlockError('config_invalid', `nothing to verify: no audit files in ${describeSource(source)}`);
  let broken = false;
  for (const chain of chains) broken = printVerified(chain.files, `${chain.instance}: `) || broken;
  return broken;
}

/** Directories: every chain in each; the other arguments: one chain, in the order given. */
function verifyPaths(paths: string[]): boolean {
  const files = paths.filter((path) => !isDirectory(path));
  let broken = false;
  for (const dir of paths.filter(isDirectory)) broken = verifyChains({ dir }) || broken;
  if (files.length > 0) broken = printVerified(files, '') || broken;
  return broken;
}

function printVerified(files: readonly string[], label: string): boolean {
  const result = verifyAuditFiles(files);
  process.stdout.write(`${label}${result.ok ? '' : 'audit chain broken: '}${formatVerifyResult(result)}\n`);
  return !result.ok;
}

function printer(json: boolean | undefined): (event: AuditEvent) => void {
  return (event) => process.stdout.write(`${json ? JSON.stringify(event) : formatEvent(event)}\n`);
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function cliLogger(): Logger {
  return createLogger({ level: process.env.AIRLOCK_LOG_LEVEL ?? 'warn' });
}
