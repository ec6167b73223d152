import { Command } from 'commander';
import { RateLimiter, retryAfterText, type CounterUsage } from '../limits/index.js';
import { withConfiguredRedis } from '../redis/configured.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { exitOnError } from './process.js';

/** `airlock limits show|reset`: operators' view of the rate-limit counters in Redis. */
export function limitsCommand(): Command {
  const limits = new Command('limits').description('Show or reset rate-limit counters (kept in Redis)');
  configOptions(limits.command('show'))
    .description("Print each counter's use in its current window and when it frees up")
    .option('--grant <name>', "only this grant's counters (grant- and session-scoped)")
    .option('--json', 'print JSON instead of a table')
    .action(async (options: ConfigOptions & { grant?: string; json?: boolean }) => {
      const log = cliLogger();
      await exitOnError(log, () =>
        withLimiter(options, log, async (limiter) => {
          const rows = await limiter.usage(grantFilter(options.grant));
          process.stdout.write(options.json ? `${JSON.stringify(rows, null, 2)}\n` : formatUsageTable(rows, Date.now()));
        }),
      );
    });
  configOptions(limits.command('reset'))
    .description("Forget a counter's admissions (of one grant, or of everyone)")
    .argument('<counter>', 'the counter name, as in the policy')
    .option('--grant <name>', "only this grant's counters (grant- and session-scoped)")
    .action(async (counter: string, options: ConfigOptions & { grant?: string }) => {
      const log = cliLogger();
      await exitOnError(log, () =>
        withLimiter(options, log, async (limiter) => {
          const deleted = await limiter.reset(counter, grantFilter(options.grant));
          const whose = options.grant === undefined ? '' : ` for grant "${options.grant}"`;
          process.stdout.write(
            deleted === 0
              ? `Counter "${counter}" has no state${whose}: nothing to reset.\n`
              : `Reset counter "${counter}"${whose}: ${deleted} Redis key${deleted === 1 ? '' : 's'} deleted.\n`,
          );
        }),
      );
    });
  return limits;
}

/** The `limits show` table; `now` in ms, for the "resets in" column. */
export function formatUsageTable(rows: readonly CounterUsage[], now: number): string {
  if (rows.length === 0) return 'No rate-limit counters in Redis.\n';
  const table = [
    ['COUNTER', 'SCOPE', 'ID', 'USED/MAX', 'WINDOW', 'RESETS IN'],
    ...rows.map((r) => [
      r.counter,
      r.scope,
      r.scope === 'global' ? '-' : r.scope === 'session' ? `${r.grant ?? '?'}/${r.scopeId}` : r.scopeId,
      `${r.used}/${r.max}`,
      r.window,
      r.resetsAt === null ? '-' : retryAfterText(Date.parse(r.resetsAt) - now),
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n';
}

function grantFilter(grant: string | undefined): { grant?: string } {
  return grant === undefined ? {} : { grant };
}

function cliLogger(): Logger {
  return createLogger({ level: process.env.AIRLOCK_LOG_LEVEL ?? 'warn' });
}

/** Connect to the configured Redis (or the embedded one), run `body`, and clean up. */
function withLimiter(options: ConfigOptions, log: Logger, body: (limiter: RateLimiter) => Promise<void>): Promise<void> {
  return withConfiguredRedis(loadCliConfig(options), log, ({ client, prefix }) => body(new RateLimiter(client, { prefix })));
}
