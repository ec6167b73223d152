import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { ApprovalEngine } from '../approvals/index.js';
import { resolveDataDir } from '../config/index.js';
import { createLoginLink } from '../console/index.js';
import { Gateway } from '../gateway.js';
import { joinEmbeddedRedis, withConfiguredRedis } from '../redis/index.js';
import { createLogger, describeError, silentLogger, type Logger } from '../shared/index.js';
import { airlockStatus, copyArgs, decisionOf, DemoAgent, describeCopy, textOf, type StepLine } from './demo-agent.js';
import { CONSOLE_USER, DEMO_APPROVER, demoConfig } from './demo-config.js';
import { cliHint, TerminalDecisions } from './demo-terminal.js';
import { Lifecycle } from './lifecycle.js';
import { listenError } from './listen-error.js';

interface DemoOptions {
  dataDir?: string;
  port: number;
  exit?: boolean;
}

/** Calls in flight get `shutdown.grace`; the parts get this long after it. */
const PARTS_CLOSE_MS = 5_000;

/** `airlock demo`: the embedded default, a scripted agent meeting each kind of decision, and a human in the loop. */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'Guided demo: the embedded default plus a scripted agent that makes an allowed read, a denied delete, a rate-limited burst and a held copy_model_version for you to approve',
    )
    .option(
      '--data-dir <dir>',
      'local state (default $AIRLOCK_HOME, else $XDG_STATE_HOME/airlock, else ~/.local/state/airlock)',
    )
    .option('--port <port>', 'port on 127.0.0.1 (default 0: a free port)', parsePort, 0)
    .option('--exit', 'stop once the agent has received the held call’s result (default: keep serving until Ctrl-C)')
    .action(async (options: DemoOptions) => {
      const log = createLogger({ level: process.env.AIRLOCK_LOG_LEVEL ?? 'warn' });
      const life = new Lifecycle(log, 15_000).install();
      try {
        await demo(options, log, life);
      } catch (error) {
        // A signal mid-call closes the agent under its call: that is the way out, not a failure.
        if (life.isExiting) return;
        process.stderr.write(`airlock: ${describeError(error)}\n`);
        await life.exit(1, 'demo failed');
      }
    });
}

async function demo(options: DemoOptions, log: Logger, life: Lifecycle): Promise<void> {
  const dataDir = resolveDataDir(options.dataDir);
  const loaded = demoConfig(dataDir, options.port);
  const { config } = loaded;
  const closeMs = config.shutdown.grace + PARTS_CLOSE_MS;
  life.setDeadline(closeMs + 1_500);

  // As `airlock serve` does: each cleanup registered before what it undoes has finished starting.
  const joining = joinEmbeddedRedis(dataDir, log);
  life.defer('leave the embedded redis-server', async () => (await joining.catch(() => undefined))?.release());
  const redisUrl = (await joining).url;
  if (life.isExiting) return;
  const starting = Gateway.start({ config, log, redisUrl });
  life.defer('close the gateway', async () => (await starting.catch(() => undefined))?.close(), {
    timeoutMs: closeMs,
  });
  const gateway = await starting;
  const { url } = await gateway.listen().catch((error: unknown) => {
    throw listenError(error, `127.0.0.1:${options.port}`, 'Pass another --port, or leave it out for a free one');
  });

  const grant = config.grants[0]!;
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`Airlock demo: the embedded default, with a scripted agent and you as the approver (${DEMO_APPROVER})`);
  out(`  MCP        ${url}/mcp  (grant "${grant.name}")`);
  out(`  console    ${url}/console`);
  out(`  policy     ${config.policy}  (a fresh copy of policies/mlflow.json)`);
  out(`  data dir   ${dataDir}`);
  out();
  out('The agent, an MCP SDK client over Streamable HTTP, makes four calls:');
  out();

  const stop = new AbortController();
  const agent = await DemoAgent.connect(`${url}/mcp`, grant.token!);
  life.defer('disconnect the demo agent', async () => {
    stop.abort();
    await agent.close();
  });
  const { line: read, versions } = await agent.readVersions();
  out(stepLine(1, read));
  out(stepLine(2, await agent.deleteModel()));
  out(stepLine(3, await agent.tagBurst()));

  const terminal = new TerminalDecisions(gateway.approvals, out, () =>
    withConfiguredRedis(loaded, silentLogger(), ({ connections, prefix }) =>
      createLoginLink({
        redis: connections.request,
        prefix,
        user: CONSOLE_USER,
        baseUrl: url,
        ttlMs: config.console.login_link_ttl,
      }),
    ),
  );
  life.defer('stop reading the terminal', () => terminal.close());
  const { version, note } = await freshVersion(gateway.approvals, grant.name, versions);
  const call = `copy_model_version ${copyArgs(version).src_model_name} v${version}`;
  if (note !== undefined) out(`   (${note})`);
  let announced: Promise<void> = Promise.resolve();
  const { result, approvalId } = await agent.copyVersion(
    version,
    {
      onHeld: (id, message) => {
        out(stepLine(4, { decision: 'held', call, got: `into ${copyArgs(version).dst_model_name}: ${message}` }));
        announced = terminal.waitFor(id, cliHint(id, options.dataDir === undefined ? undefined : dataDir));
      },
      onRetry: (id) =>
        out(
          `   the hold window ended with ${id} still open: the agent calls again with the same arguments (re-attaching)`,
        ),
    },
    stop.signal,
  );
  await announced;
  await terminal.decided();
  if (life.isExiting) return;
  const view = approvalId === undefined ? undefined : await gateway.approvals.find(approvalId);
  const status = airlockStatus(result);
  out(
    stepLine(4, {
      decision: status === undefined ? 'approved' : decisionOf(result),
      call,
      got:
        status === undefined
          ? `${view?.decidedBy ? `approved by ${view.decidedBy}; ` : ''}the agent received: ${describeCopy(result)}`
          : textOf(result),
    }),
  );

  out();
  out(`Next, in the console (a login link works once: type "link" here for a new one):`);
  out(`  pending    ${url}/console`);
  out(`  history    ${url}/console/history`);
  out(`  events     ${url}/console/events`);
  if (approvalId !== undefined) out(`  this call  ${url}/console/calls/${approvalId}`);
  out();
  if (options.exit) {
    out('Done (--exit): stopping.');
    await life.exit(0, 'demo finished');
  }
  out(`Still serving ${url}/mcp (grant "${grant.name}", token in ${join(dataDir, 'demo-token')}). Ctrl-C stops.`);
}

/** One step, aligned: number, decision, call, then what the agent got. */
function stepLine(n: number, line: StepLine): string {
  return `  ${n}. ${line.decision.padEnd(13)} ${line.call.padEnd(43)} → ${line.got}`;
}

/**
 * The version to copy: the first whose copy is not already bound to an earlier run's approval
 * (an executed one is answered from its stored result for approvals.retention, never run again).
 */
async function freshVersion(
  engine: ApprovalEngine,
  grant: string,
  versions: string[],
): Promise<{ version: string; note?: string }> {
  for (const version of versions) {
    const bound = await engine.findFor({
      grant,
      server: 'mlflow',
      tool: 'copy_model_version',
      args: copyArgs(version),
    });
    if (bound === undefined || bound.state === 'pending' || bound.state === 'approved') return { version };
  }
  return {
    version: versions[0] ?? '1',
    note: 'every version was already copied by an earlier demo on this data directory: Airlock answers with the stored result and never runs an approved call twice; a new --data-dir shows the hold again',
  };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('expected a port, 0-65535');
  return port;
}
