/**
 * Approval bench: (1) decision → held call dispatched to the upstream, p50/p99 over many
 * approvals; (2) the gateway's memory with 10,000 pending approvals held in one process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { ApprovalEngine } from '../src/approvals/index.js';
import { RedisConnections } from '../src/redis/index.js';
import { silentLogger } from '../src/shared/logger.js';
import { httpClient, spawnUntil, stop, fixtureUpstream } from './processes.js';

export interface ApprovalBenchResult {
  approvals: number;
  dispatchP50Ms: number;
  dispatchP99Ms: number;
  pending: number;
  rssMb: number;
  rssBaselineMb: number;
}

const TOKEN = 'bench-approvals-token-0123456789';

type BenchOptions = { root: string; dir: string; redisUrl: string; approvals: number; pending: number };
type Call = (text: string) => Promise<unknown>;

export async function benchApprovals(options: BenchOptions): Promise<ApprovalBenchResult> {
  const callLog = join(options.dir, 'approval-calls.jsonl');
  writeFileSync(callLog, '');
  const gateway = await startBenchGateway(options, callLog);
  const redis = new RedisConnections(options.redisUrl);
  const engine = await ApprovalEngine.start({ redis, prefix: '{bench}', log: silentLogger(), processJobs: false });
  const agent = await httpClient(gateway.match[1]!, TOKEN);
  const call: Call = (text) =>
    agent.request({ method: 'tools/call', params: { name: 'echo', arguments: { text } } }, CallToolResultSchema, {
      timeout: 600_000,
    });
  try {
    const latencies = await measureDispatch(engine, call, options.approvals, callLog);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
    const rssBaselineMb = rssMb(gateway.child.pid!);
    await holdMany(engine, call, options.pending);
    const rss = rssMb(gateway.child.pid!);
    return {
      approvals: latencies.length,
      dispatchP50Ms: pct(50),
      dispatchP99Ms: pct(99),
      pending: options.pending,
      rssMb: rss,
      rssBaselineMb,
    };
  } finally {
    await agent.close().catch(() => {});
    await stop(gateway.child);
    await engine.close();
    await redis.close();
  }
}

async function startBenchGateway(options: BenchOptions, callLog: string) {
  const policy = {
    version: '1',
    default: 'deny',
    tools: { echo: { action: 'require_approval', approval: { approvers: ['U0BENCH'], timeout: '1h' } } },
  };
  writeFileSync(join(options.dir, 'approvals-policy.json'), JSON.stringify(policy));
  const configFile = join(options.dir, 'approvals.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      redis: { url: options.redisUrl, prefix: '{bench}' },
      // Every held call is one open socket from this one loopback address: above the default cap of 64.
      listen: { max_sockets_per_address: options.pending + 64 },
      upstreams: {
        fixture: fixtureUpstream(options.root, callLog),
      },
      policy: join(options.dir, 'approvals-policy.json'),
      grants: [{ name: 'bench', token: TOKEN, hold: '10m', max_pending: options.pending + 10 }],
    }),
  );
  return spawnUntil(
    process.execPath,
    [
      join(options.root, 'dist', 'cli.js'),
      'serve',
      '--port',
      '0',
      '--config',
      configFile,
      '--data-dir',
      join(options.dir, 'data'),
    ],
    /serving MCP at (\S+)/,
    {
      ...process.env,
      AIRLOCK_LOG_LEVEL: 'warn',
    },
  );
}

/** From decide() to the held call reaching the upstream, once per approval, sorted (ms). */
async function measureDispatch(
  engine: ApprovalEngine,
  call: Call,
  approvals: number,
  callLog: string,
): Promise<number[]> {
  // Each new approval announces itself on the change feed; its arguments tell which call it is.
  const pendingIds = new Map<string, (id: string) => void>();
  engine.events.on('change', (change) => {
    if (change.state !== 'pending' || change.version !== 1) return;
    engine.find(change.id).then(
      (view) => {
        const text = (view?.args as { text?: string } | undefined)?.text;
        if (text !== undefined) pendingIds.get(text)?.(change.id);
      },
      () => {}, // a slow read under load; the held-call phase does not need it
    );
  });
  const approvalIdOf = (text: string) => new Promise<string>((resolve) => pendingIds.set(text, resolve));
  const decidedAt = new Map<string, number>();
  for (let i = 0; i < approvals; i += 1) {
    const text = `dispatch-${i}`;
    const id = approvalIdOf(text);
    const result = call(text);
    const approvalId = await id;
    decidedAt.set(text, Date.now());
    await engine.decide(approvalId, 'approve', 'U0BENCH');
    await result;
    pendingIds.delete(text);
  }
  const dispatched = readFileSync(callLog, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { at: number; args: { text: string } });
  return dispatched
    .filter((d) => decidedAt.has(d.args.text))
    .map((d) => d.at - decidedAt.get(d.args.text)!)
    .sort((a, b) => a - b);
}

/**
 * Holds `pending` calls at once. Ramps up in batches: ten thousand connects at once overflow the
 * listen backlog and the client's connect timeout, and a failed request never becomes a held call.
 */
async function holdMany(engine: ApprovalEngine, call: Call, pending: number): Promise<void> {
  let seen = 0;
  let waiting: { target: number; resolve: () => void; reject: (error: Error) => void } | undefined;
  engine.events.on('change', (change) => {
    if (change.state !== 'pending' || change.version !== 1) return;
    seen += 1;
    if (waiting && seen >= waiting.target) waiting.resolve();
  });
  const pendingCount = (target: number) =>
    new Promise<void>((resolve, reject) => {
      if (seen >= target) return resolve();
      waiting = { target, resolve, reject };
    });
  // A call that fails never becomes pending: the ramp stops at once, saying why, instead of waiting.
  const failedCall = (i: number) => (error: unknown) =>
    waiting?.reject(
      new Error(`held call ${i} failed while ramping up: ${String(error)} (${String((error as Error).cause ?? '')})`),
    );
  const batch = 250;
  for (let start = 0; start < pending; start += batch) {
    const end = Math.min(pending, start + batch);
    for (let i = start; i < end; i += 1) void call(`held-${i}`).catch(failedCall(i));
    await pendingCount(end);
  }
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}
