import { Command, InvalidArgumentError } from 'commander';
import { describeSource, parseSince } from '../audit/index.js';
import { loadPolicyFile } from '../policy/index.js';
import { replay, type ReplayReport } from '../replay/index.js';
import { createLogger } from '../shared/index.js';
import { configOptions } from './config-options.js';
import { renderTable } from './decision-table.js';
import { eventsOf, parseSource, withSource, type SourceOptions } from './audit-source.js';
import { exitOnError } from './process.js';

interface ReplayCommandOptions extends SourceOptions {
  policy: string;
  since?: string;
  grant?: string;
  json?: boolean;
}

/** `airlock replay --policy candidate.json`: which past decisions a candidate policy would change. */
export function replayCommand(): Command {
  return configOptions(new Command('replay'))
    .description(
      'Run a candidate policy over past tool calls from the audit trail and print which decisions would change (its rate limits simulated); calls no upstream',
    )
    .requiredOption('--policy <file>', 'the candidate policy')
    .option('--since <when>', 'only calls since a duration ago ("7d", "1h") or an ISO time (default: the whole trail)')
    .option('--grant <name>', "only this grant's calls")
    .option('--source <source>', 'file or stream (as for airlock audit)', parseSource)
    .option('--json', 'print the report as JSON')
    .action(async (options: ReplayCommandOptions) => {
      const log = createLogger({ level: process.env.AIRLOCK_LOG_LEVEL ?? 'warn' });
      await exitOnError(log, async () => {
        const candidate = loadPolicyFile(options.policy);
        const sinceMs = options.since === undefined ? undefined : parseSince(options.since, Date.now());
        if (options.since !== undefined && sinceMs === undefined)
          throw new InvalidArgumentError(
            `--since: expected a duration ("7d") or an ISO time, got ${JSON.stringify(options.since)}`,
          );
        await withSource(options, log, async (source) => {
          const report = await replay(eventsOf(source, sinceMs), candidate, {
            ...(options.grant ? { grant: options.grant } : {}),
            ...(sinceMs === undefined ? {} : { sinceMs }),
          });
          const where = source.kind === 'file' ? describeSource(source.chains) : `stream ${source.key}`;
          if (options.json)
            process.stdout.write(JSON.stringify({ policy: options.policy, source: where, ...report }, null, 2) + '\n');
          else process.stdout.write(render(options.policy, where, report));
        });
      });
    });
}

function render(policy: string, where: string, report: ReplayReport): string {
  const changed = report.compared - report.unchanged;
  const span = report.from ? ` from ${report.from} to ${report.to}` : '';
  const lines = [
    `${policy} over ${report.calls} tool calls${span} (${where}): ${changed} decision${changed === 1 ? '' : 's'} would change, ${report.unchanged} stay`,
  ];
  if (report.changes.length > 0) {
    const rows = report.changes.map((c) => [
      c.server,
      c.tool,
      c.grant,
      c.recorded,
      c.candidate,
      String(c.count),
      c.by.join(', '),
      c.examples.join(' '),
    ]);
    lines.push('', renderTable(['SERVER', 'TOOL', 'GRANT', 'RECORDED', 'CANDIDATE', 'CALLS', 'BY', 'EXAMPLES'], rows));
  }
  if (report.partial > 0)
    lines.push(
      '',
      `note: ${report.partial} calls have redacted or previewed arguments in the trail; their conditions were checked on what it keeps`,
    );
  return lines.join('\n') + '\n';
}
