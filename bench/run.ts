/**
 * `npm run bench`: the cost of putting Airlock in front of an MCP server. Each scenario measures
 * the same call made directly to the MLflow stand-in (agent → HTTP → stand-in) and through
 * Airlock (agent → HTTP → Airlock → stdio → stand-in), in the same run, on this machine.
 */
import { setMaxListeners } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  measure,
  median,
  modernToolCall,
  renderRows,
  toolCall,
  type CallOnce,
  type Measurement,
  type Row,
} from './measure.js';
import { httpClient, modernHttpClient, spawnUntil, stop } from './processes.js';
import { spawnRedisServer } from '../src/redis/index.js';
import { benchApprovals } from './approvals.js';
import { benchReleaseAcrossProcesses } from './release-across.js';
import { benchTwoProcesses, renderTwoProcesses } from './two-processes.js';

// The SDK's HTTP client gives every POST an abort listener that only GC removes; under a
// 16-way load that trips Node's leak warning without being a leak.
setMaxListeners(50_000);

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const STANDIN_CLI = join(ROOT, 'dist', 'standin', 'standin', 'src', 'cli.js');
const TOKEN = 'bench-token-0123456789abcdef';
const quick = process.argv.includes('--quick');
const settings = quick
  ? { sequential: 200, concurrency: 16, seconds: 2, warmup: 50 }
  : { sequential: 1_000, concurrency: 16, seconds: 3, warmup: 200 };

const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
const redis = await spawnRedisServer({ dir, persistent: false });
const policy = {
  version: '1',
  default: 'deny',
  tools: {
    health: {},
    get_registered_models: { limits: [{ counter: 'bench_reads', window: 'minute', max: 100_000_000, scope: 'grant' }] },
  },
};
writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
writeFileSync(
  join(dir, 'airlock.config.json'),
  JSON.stringify({
    redis: { url: redis.url },
    upstreams: { mlflow: { command: process.execPath, args: [STANDIN_CLI] } },
    policy: join(dir, 'policy.json'),
    grants: [{ name: 'bench', token: TOKEN }],
  }),
);

const standin = await spawnUntil(process.execPath, [STANDIN_CLI, '--http', '0'], /listening on (http:\/\/\S+)/);
const gateway = await spawnUntil(
  process.execPath,
  [CLI, 'serve', '--port', '0', '--config', join(dir, 'airlock.config.json'), '--data-dir', join(dir, 'data')],
  /serving MCP at (\S+)/,
  {
    ...process.env,
    AIRLOCK_LOG_LEVEL: 'warn',
  },
);
const direct = await httpClient(standin.match[1]!);
const through = await httpClient(gateway.match[1]!, TOKEN);

// 2026-07-28 agents: the stand-in speaks only 2025, so their baseline is our conformance fixture,
// which speaks both, direct and as Airlock's HTTP upstream (reached in 2026-07-28 too).
const fixture = await spawnUntil(
  process.execPath,
  ['--import', 'tsx', join(ROOT, 'test', 'conformance', 'fixture-server.ts'), '--http', '0'],
  /listening on (http:\/\/\S+)/,
);
writeFileSync(
  join(dir, 'policy-2026.json'),
  JSON.stringify({ version: '1', default: 'deny', tools: { test_simple_text: {} } }),
);
writeFileSync(
  join(dir, 'airlock-2026.config.json'),
  JSON.stringify({
    redis: { url: redis.url, prefix: '{bench2026}' },
    upstreams: { fixture: { url: fixture.match[1]! } },
    policy: join(dir, 'policy-2026.json'),
    grants: [{ name: 'bench', token: TOKEN }],
  }),
);
const gateway2026 = await spawnUntil(
  process.execPath,
  [
    CLI,
    'serve',
    '--port',
    '0',
    '--config',
    join(dir, 'airlock-2026.config.json'),
    '--data-dir',
    join(dir, 'data-2026'),
  ],
  /serving MCP at (\S+)/,
  { ...process.env, AIRLOCK_LOG_LEVEL: 'warn' },
);
const modernDirect = await modernHttpClient(fixture.match[1]!);
const modernThrough = await modernHttpClient(gateway2026.match[1]!, TOKEN);

const scenarios: { name: string; direct: CallOnce; airlock: CallOnce }[] = [
  { name: 'allowed call (health)', direct: toolCall(direct, 'health'), airlock: toolCall(through, 'health') },
  {
    name: 'rate-limited call (get_registered_models)',
    direct: toolCall(direct, 'get_registered_models'),
    airlock: toolCall(through, 'get_registered_models'),
  },
  {
    name: '2026-07-28 client, allowed call (fixture test_simple_text)',
    direct: modernToolCall(modernDirect, 'test_simple_text'),
    airlock: modernToolCall(modernThrough, 'test_simple_text'),
  },
];
const rows: Row[] = [];
try {
  // Two cores are shared by the bench client, Airlock, the stand-in and Redis, so one run of
  // each side is noisy: alternate direct and Airlock three times and keep each side's median.
  for (const scenario of scenarios) {
    const directRuns: Measurement[] = [];
    const airlockRuns: Measurement[] = [];
    for (let round = 0; round < 3; round += 1) {
      directRuns.push(await measure(scenario.direct, settings));
      airlockRuns.push(await measure(scenario.airlock, settings));
    }
    rows.push({ scenario: scenario.name, direct: median(directRuns), airlock: median(airlockRuns) });
  }
  console.log(
    `\nAirlock bench (${quick ? 'quick' : 'full'}: ${settings.sequential} sequential calls and ${settings.concurrency} concurrent for ${settings.seconds} s per side, median of 3 alternating rounds)\n`,
  );
  console.log(renderRows(rows));
} finally {
  await Promise.all([direct.close(), through.close(), modernDirect.close(), modernThrough.close()]);
  await Promise.all([stop(gateway.child), stop(standin.child), stop(gateway2026.child), stop(fixture.child)]);
}

try {
  const twoProcesses = await benchTwoProcesses({
    cli: CLI,
    standinCli: STANDIN_CLI,
    configFile: join(dir, 'airlock.config.json'),
    dataDir: join(dir, 'data-two'),
    token: TOKEN,
    redisPid: redis.child.pid!,
    clients: settings.concurrency,
    seconds: settings.seconds,
    warmup: settings.warmup,
    rounds: 3,
  });
  console.log(
    `\nTwo Airlock processes vs one, one Redis (allowed call health; ${settings.concurrency} clients of one session each for ${settings.seconds} s per setup, median of 3 alternating rounds; p50/p99 under that load; the bench splits the clients ${settings.concurrency / 2} + ${settings.concurrency / 2} between the two itself, no load balancer; CPU from /proc/<pid>/stat)\n`,
  );
  console.log(renderTwoProcesses(twoProcesses));

  const approvals = await benchApprovals({
    root: ROOT,
    dir,
    redisUrl: redis.url,
    approvals: Number(process.env.BENCH_APPROVALS ?? (quick ? 100 : 1_000)),
    pending: Number(process.env.BENCH_PENDING ?? (quick ? 1_000 : 10_000)),
  });
  console.log(
    `\nApprovals: decision → call dispatched to the upstream over ${approvals.approvals} approvals: p50 ${approvals.dispatchP50Ms} ms, p99 ${approvals.dispatchP99Ms} ms (goal p99 ≤ 50 ms; decided by an engine in the bench process, as \`airlock approvals approve\` does)`,
  );
  console.log(
    `Gateway memory with ${approvals.pending} pending approvals held: ${approvals.rssMb} MB RSS (${approvals.rssBaselineMb} MB before; goal ≤ 500 MB)`,
  );

  const release = await benchReleaseAcrossProcesses({
    root: ROOT,
    dir,
    redisUrl: redis.url,
    approvals: Number(process.env.BENCH_RELEASES ?? (quick ? 50 : 200)),
  });
  const pair = (p: { p50Ms: number; p99Ms: number }) => `p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms`;
  console.log(
    `\nDecide → release: a call held by gateway A, approved by a gateway's own engine, ${release.approvals} approvals each, alternating; to the call arriving at A's upstream (wall clock, 1 ms steps)`,
  );
  console.log(
    `  decided in A (same process):       from decide() called ${pair(release.sameProcess.fromCall)}; from decide() returned ${pair(release.sameProcess.fromReturn)}`,
  );
  console.log(
    `  decided in B (another process):    from decide() called ${pair(release.otherProcess.fromCall)}; from decide() returned ${pair(release.otherProcess.fromReturn)}`,
  );
} finally {
  await redis.stop();
}
