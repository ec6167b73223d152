import { Command, InvalidArgumentError } from 'commander';
import type { Config } from '../config/index.js';
import { RateLimiter, type CounterUsage } from '../limits/index.js';
import { retryAfterText, createLogger, type Logger } from '../shared/index.js';
import { loadPolicyFile, type CompiledPolicy, type CompiledSection } from '../policy/index.js';
import { withConfiguredRedis } from '../redis/index.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';
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
        withLimiter(
          options,
          log,
          (config) => checkGrant(config, options.grant),
          async (limiter) => {
            const rows = await limiter.usage(grantFilter(options.grant));
            process.stdout.write(
              options.json ? `${JSON.stringify(rows, null, 2)}\n` : formatUsageTable(rows, Date.now()),
            );
          },
        ),
      );
    });
  configOptions(limits.command('reset'))
    .description("Forget a counter's admissions (of one grant, or of everyone)")
    .argument('<counter>', 'the counter name, as in the policy')
    .option('--grant <name>', "only this grant's counters (grant- and session-scoped)")
    .action(async (counter: string, options: ConfigOptions & { grant?: string }) => {
      const log = cliLogger();
      await exitOnError(log, () =>
        withLimiter(
          options,
          log,
          (config) => (checkGrant(config, options.grant), checkCounter(config, counter)),
          async (limiter) => {
            const deleted = await limiter.reset(counter, grantFilter(options.grant));
            const whose = options.grant === undefined ? '' : ` for grant "${options.grant}"`;
            process.stdout.write(
              deleted === 0
                ? `Counter "${counter}" has no state${whose}: nothing to reset.\n`
                : `Reset counter "${counter}"${whose}: ${deleted} Redis key${deleted === 1 ? '' : 's'} deleted.\n`,
            );
          },
        ),
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
  return (
    table
      .map((row) =>
        row
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function grantFilter(grant: string | undefined): { grant?: string } {
  return grant === undefined ? {} : { grant };
}

function cliLogger(): Logger {
  return createLogger({ level: process.env.AIRLOCK_LOG_LEVEL ?? 'warn' });
}

/** Check the arguments against the config, connect to its Redis (or the embedded one), run `body`, clean up. */
async function withLimiter(
  options: ConfigOptions,
  log: Logger,
  check: (config: Config) => void,
  body: (limiter: RateLimiter) => Promise<void>,
): Promise<void> {
  const loaded = loadCliConfig(options);
  check(loaded.config);
  await withConfiguredRedis(loaded, log, ({ client, prefix }) => body(new RateLimiter(client, { prefix })));
}

/** A typo in --grant would otherwise read as "this grant has no counters". */
function checkGrant(config: Config, grant: string | undefined): void {
  if (grant === undefined || config.grants.some((g) => g.name === grant)) return;
  throw new InvalidArgumentError(
    `--grant ${grant}: no such grant (grants: ${config.grants.map((g) => g.name).join(', ')})`,
  );
}

/** A counter no policy names cannot have state worth resetting: most likely a typo. */
function checkCounter(config: Config, counter: string): void {
  const files = [config.policy, ...config.grants.flatMap((g) => (g.policy === undefined ? [] : [g.policy]))];
  const known = new Set(files.flatMap((file) => policyCounters(loadPolicyFile(file))));
  if (known.has(counter)) return;
  throw new InvalidArgumentError(
    `counter "${counter}" is not named by the policy (counters: ${[...known].sort().join(', ') || 'none'})`,
  );
}

function policyCounters(policy: CompiledPolicy): string[] {
  const sections: CompiledSection[] = [policy.root, ...policy.servers.values()];
  return sections.flatMap((section) =>
    [...section.limits, ...[...section.exact.values(), ...section.globs].flatMap((rule) => rule.limits)].map(
      (l) => l.counter,
    ),
  );
}
