import { userInfo } from 'node:os';
import { Command } from 'commander';
import {
  ApprovalEngine,
  ApprovalError,
  ApprovalStateSchema,
  isoTime,
  type ApprovalState,
  type ApprovalView,
} from '../approvals/index.js';
import { formatClock, formatSpan, describeError, silentLogger } from '../shared/index.js';
import type { Config } from '../config/index.js';
import { withConfiguredRedis } from '../redis/index.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';

type CommonOptions = ConfigOptions;

/**
 * `airlock approvals list | show | approve | deny | withdraw`: the same decisions as Slack and the
 * console, against the Redis in the config (or the embedded one). It runs no expiry worker: the
 * gateways do; a decision here still wakes the holding gateway at once (pub/sub) and promotes
 * the approval's job.
 */
export function approvalsCommand(): Command {
  const command = new Command('approvals').description('List, show and decide held calls (approvals)');
  listCommand(command);
  showCommand(command);
  approveCommand(command);
  denyCommand(command);
  withdrawCommand(command);
  return command;
}

function listCommand(parent: Command): void {
  configOptions(parent.command('list'))
    .description('List approvals, newest first (default: pending ones)')
    .option('--json', 'print the approvals as JSON')
    .option('--grant <grant>', 'only this grant')
    .option(
      '--state <state>',
      `only this state: ${ApprovalStateSchema.options.join(', ')} (approved includes executing and executed: every call a human approved), or all`,
      'pending',
    )
    .action(async (options: CommonOptions & { json?: boolean; grant?: string; state: string }) =>
      run(options, async (engine) => {
        const states = parseState(options.state);
        const all = await engine.list(options.grant === undefined ? {} : { grant: options.grant });
        const views = states === undefined ? all : all.filter((v) => states.includes(v.state));
        if (options.json) return print(JSON.stringify(views, null, 2));
        print(
          views.length === 0
            ? `no ${options.state === 'all' ? '' : options.state + ' '}approvals`
            : renderTable(views, Date.now()),
        );
      }),
    );
}

function showCommand(parent: Command): void {
  configOptions(parent.command('show'))
    .description('Show one approval in full')
    .argument('<id>', 'approval id (apr_…)')
    .option('--json', 'print it as JSON')
    .action(async (id: string, options: CommonOptions & { json?: boolean }) =>
      run(options, async (engine) => {
        const view = await engine.get(id);
        print(options.json ? JSON.stringify(view, null, 2) : renderView(view, Date.now()));
      }),
    );
}

function approveCommand(parent: Command): void {
  configOptions(parent.command('approve'))
    .description('Approve a held call (counts towards min_approvals)')
    .argument('<id>', 'approval id (apr_…)')
    .option('--as <user>', 'approver user id (default: console.user from the config)')
    .option('--reason <text>', 'why (shown with the decision)')
    .action(async (id: string, options: CommonOptions & { as?: string; reason?: string }) =>
      run(options, async (engine, cfg) => {
        const approver = actor(options.as, cfg, true);
        const { effect, approval } = await engine.decide(id, 'approve', approver, options.reason);
        const missing = approval.minApprovals - approval.approvals.length;
        if (effect === 'approved')
          print(
            `approved ${id} (${approval.tool} ${approval.argsSummary}) as ${approver}: ` +
              (approval.task
                ? 'the call runs now in an Airlock process, and its task completes with the result'
                : "the held call runs now, or on the agent's next identical call"),
          );
        else if (effect === 'approval_counted')
          print(`approval of ${id} by ${approver} counted: ${missing} more needed`);
        else print(`${approver} had already approved ${id}: ${missing} more needed`);
      }),
    );
}

function denyCommand(parent: Command): void {
  configOptions(parent.command('deny'))
    .description('Deny a held call')
    .argument('<id>', 'approval id (apr_…)')
    .option('--as <user>', 'approver user id (default: console.user from the config)')
    .requiredOption('--reason <text>', 'why (the agent reads it)')
    .action(async (id: string, options: CommonOptions & { as?: string; reason: string }) =>
      run(options, async (engine, cfg) => {
        const approver = actor(options.as, cfg, true);
        const { approval } = await engine.decide(id, 'deny', approver, options.reason);
        print(`denied ${id} (${approval.tool} ${approval.argsSummary}) as ${approver}: ${options.reason}`);
      }),
    );
}

function withdrawCommand(parent: Command): void {
  configOptions(parent.command('withdraw'))
    .description('Withdraw a pending held call (it will not run; the agent is told on its next call)')
    .argument('<id>', 'approval id (apr_…)')
    .option('--as <user>', 'who withdraws it (default: console.user, else the OS user)')
    .option('--reason <text>', 'why (the agent reads it)')
    .action(async (id: string, options: CommonOptions & { as?: string; reason?: string }) =>
      run(options, async (engine, cfg) => {
        const by = actor(options.as, cfg, false);
        const view = await engine.withdraw(id, by, options.reason);
        print(`withdrew ${id} (${view.tool} ${view.argsSummary}) as ${by}`);
      }),
    );
}

/**
 * Runs one subcommand against the configured Redis. A failure prints its message (not a stack)
 * and sets a non-zero exit code; every connection is closed either way, so the process ends by
 * itself (no forced exit, which also keeps the command callable in-process from tests).
 */
async function run(
  options: CommonOptions,
  body: (engine: ApprovalEngine, config: Config) => Promise<void>,
): Promise<void> {
  const log = silentLogger();
  try {
    await withConfiguredRedis(loadCliConfig(options), log, async ({ config, prefix, connections }) => {
      const engine = await ApprovalEngine.start({ redis: connections, prefix, log, processJobs: false });
      try {
        await body(engine, config);
      } finally {
        await engine.close();
      }
    });
  } catch (error) {
    process.stderr.write(`airlock: ${describeError(error)}\n`);
    process.exitCode = 1;
  }
}

function actor(as: string | undefined, config: Config, approver: boolean): string {
  if (as !== undefined && as.trim() !== '') return as.trim();
  const user = config.console.user;
  if (user !== undefined && user !== '') return user;
  if (!approver) return `cli:${userInfo().username}`;
  throw new ApprovalError(
    'not_an_approver',
    'who is deciding? pass --as <user id> (a listed approver, e.g. U0123ABCD), or set "console": {"user": …} in the config',
  );
}

/**
 * `--state`: one state, or `approved` for every approval a human said yes to (approved, executing,
 * executed: what someone asking "which were approved?" means), or `all`.
 */
function parseState(state: string): ApprovalState[] | undefined {
  if (state === 'all') return undefined;
  if (state === 'approved') return ['approved', 'executing', 'executed'];
  const parsed = ApprovalStateSchema.safeParse(state);
  if (!parsed.success) throw new Error(`--state ${state}: expected ${ApprovalStateSchema.options.join(', ')} or all`);
  return [parsed.data];
}

function print(text: string): void {
  process.stdout.write(text + '\n');
}

function expiry(view: ApprovalView, now: number): string {
  if (view.state !== 'pending') return view.state === 'expired' ? `expired ${formatClock(view.expiresAt, now)}` : '-';
  return `in ${formatSpan(view.expiresAt - now, { up: true })} (${formatClock(view.expiresAt, now)})`;
}

function renderTable(views: ApprovalView[], now: number): string {
  const header = ['ID', 'STATE', 'GRANT', 'TOOL', 'ARGUMENTS', 'AGE', 'EXPIRES'];
  const rows = views.map((v) => [
    v.id,
    v.state + (v.outcome ? `/${v.outcome}` : '') + (v.task ? ' (task)' : ''),
    v.grant,
    `${v.server}/${v.tool}`,
    v.argsSummary,
    formatSpan(now - v.createdAt),
    expiry(v, now),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function renderView(v: ApprovalView, now: number): string {
  const lines: [string, string | undefined][] = [
    ['id', v.id],
    ['state', v.state + (v.outcome ? ` (${v.outcome})` : '')],
    ['waits as', v.task ? 'an MCP task (the agent polls tasks/get)' : 'a held request (then pending, and a retry)'],
    ['grant', v.grant + (v.owner ? ` (owner ${v.owner})` : '')],
    ['tool', `${v.server}/${v.tool}`],
    ['arguments', JSON.stringify(v.args, null, 2).replace(/\n/gu, '\n             ')],
    ['rule', v.rule + (v.reason ? `: ${v.reason}` : '')],
    [
      'approvers',
      `${v.approvers.join(', ')} (${v.minApprovals} needed${v.allowSelfApproval ? ', self-approval allowed' : ''})`,
    ],
    [
      'approvals',
      v.approvals.length === 0 ? '-' : v.approvals.map((a) => `${a.approver} at ${isoTime(a.at)}`).join(', '),
    ],
    [
      'decided',
      v.decidedAt === undefined
        ? undefined
        : `${v.decidedBy ?? '(expiry)'} at ${isoTime(v.decidedAt)}${v.decisionReason ? `: ${v.decisionReason}` : ''}`,
    ],
    ['created', `${isoTime(v.createdAt)} (${formatSpan(now - v.createdAt)} ago)`],
    ['expires', `${isoTime(v.expiresAt)} (timeout ${v.timeout})`],
    ['channel', v.channel],
    ['executed', v.finishedAt === undefined ? undefined : `${isoTime(v.finishedAt)} by ${v.executor ?? '?'}`],
    ['result', v.result === undefined ? undefined : JSON.stringify(v.result).slice(0, 500)],
  ];
  return lines.flatMap(([k, value]) => (value === undefined ? [] : [`${k.padEnd(11)}  ${value}`])).join('\n');
}
