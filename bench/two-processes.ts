/**
 * Two processes vs one: the allowed call (`health`) under the same load, 16 clients (one MCP
 * session each, one call at a time) for the same time, against the stand-in directly, one
 * Airlock process, and two Airlock processes on the same Redis with the clients split 8 + 8 by
 * the bench itself (no load balancer). Each gateway runs its own stand-in child, as in
 * production. Latencies here are under that load. CPU per call is read from /proc/<pid>/stat
 * (utime + stime) of each process involved, since a gateway's process.cpuUsage() is out of reach.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { toolCall, type CallOnce } from './measure.js';
import { httpClient, spawnUntil, stop } from './processes.js';

export interface LoadResult {
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU ms per call: the gateways, their upstreams (or the direct stand-in), Redis, this bench process. */
  cpu: { gateways: number; upstreams: number; redis: number; client: number };
}

export interface TwoProcessResult {
  direct: LoadResult;
  one: LoadResult;
  two: LoadResult;
}

type Options = {
  cli: string;
  standinCli: string;
  configFile: string;
  dataDir: string;
  token: string;
  redisPid: number;
  clients: number;
  seconds: number;
  warmup: number;
  rounds: number;
};

interface Setup {
  calls: CallOnce[];
  gateways: number[];
  upstreams: number[];
}

export async function benchTwoProcesses(options: Options): Promise<TwoProcessResult> {
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  const started = async (starting: ReturnType<typeof spawnUntil>) => {
    const spawned = await starting;
    children.push(spawned.child);
    return spawned;
  };
  const connect = async (url: string, count: number, token?: string) => {
    const made = await Promise.all(Array.from({ length: count }, () => httpClient(url, token)));
    clients.push(...made);
    return made.map((client) => toolCall(client, 'health'));
  };
  try {
    const standin = await started(
      spawnUntil(process.execPath, [options.standinCli, '--http', '0'], /listening on (http:\/\/\S+)/),
    );
    // The same config file and data directory for both, as for any N processes of one setup.
    const serve = () =>
      started(
        spawnUntil(
          process.execPath,
          [options.cli, 'serve', '--port', '0', '--config', options.configFile, '--data-dir', options.dataDir],
          /serving MCP at (\S+)/,
          { ...process.env, AIRLOCK_LOG_LEVEL: 'warn' },
        ),
      );
    const gatewayA = await serve();
    const gatewayB = await serve();
    const half = options.clients / 2;
    const directCalls = await connect(standin.match[1]!, options.clients);
    const aCalls = await connect(gatewayA.match[1]!, options.clients, options.token);
    const bCalls = await connect(gatewayB.match[1]!, half, options.token);
    const [a, b] = [gatewayA.child.pid!, gatewayB.child.pid!];
    const setups = {
      direct: { calls: directCalls, gateways: [], upstreams: [standin.child.pid!] },
      one: { calls: aCalls, gateways: [a], upstreams: childrenOf(a) },
      two: {
        calls: [...aCalls.slice(0, half), ...bCalls],
        gateways: [a, b],
        upstreams: [...childrenOf(a), ...childrenOf(b)],
      },
    } satisfies Record<keyof TwoProcessResult, Setup>;
    const runs: Record<keyof TwoProcessResult, LoadResult[]> = { direct: [], one: [], two: [] };
    // Alternating rounds, median kept: the machine's load drifts over seconds.
    for (let round = 0; round < options.rounds; round += 1) {
      for (const name of ['direct', 'one', 'two'] as const) runs[name].push(await underLoad(setups[name], options));
    }
    return { direct: medianLoad(runs.direct), one: medianLoad(runs.one), two: medianLoad(runs.two) };
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
    await Promise.all(children.map(stop));
  }
}

/** Every client calls in a loop for `seconds`; calls/s, latency percentiles and CPU per call. */
async function underLoad(setup: Setup, options: Options): Promise<LoadResult> {
  const perClient = Math.ceil(options.warmup / setup.calls.length);
  await Promise.all(
    setup.calls.map(async (call) => {
      for (let i = 0; i < perClient; i += 1) await call();
    }),
  );
  const watched = { gateways: setup.gateways, upstreams: setup.upstreams, redis: [options.redisPid] };
  const cpuBefore = cpuMsOf(watched);
  const clientBefore = process.cpuUsage();
  const samples: number[] = [];
  const deadline = Date.now() + options.seconds * 1_000;
  const started = process.hrtime.bigint();
  await Promise.all(
    setup.calls.map(async (call) => {
      while (Date.now() < deadline) {
        const start = process.hrtime.bigint();
        await call();
        samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }),
  );
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const client = process.cpuUsage(clientBefore);
  const cpuAfter = cpuMsOf(watched);
  samples.sort((x, y) => x - y);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
  const perCall = (ms: number) => ms / samples.length;
  return {
    throughput: samples.length / elapsedS,
    p50Ms: at(50),
    p99Ms: at(99),
    cpu: {
      gateways: perCall(cpuAfter.gateways - cpuBefore.gateways),
      upstreams: perCall(cpuAfter.upstreams - cpuBefore.upstreams),
      redis: perCall(cpuAfter.redis - cpuBefore.redis),
      client: perCall((client.user + client.system) / 1_000),
    },
  };
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ: 100 on Linux everywhere that matters (getconf CLK_TCK)

/** utime + stime of each group of processes, in ms. */
function cpuMsOf<K extends string>(groups: Record<K, number[]>): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const [name, pids] of Object.entries(groups) as [K, number[]][]) {
    out[name] = pids.reduce((sum, pid) => sum + cpuMsOfPid(pid), 0);
  }
  return out;
}

function cpuMsOfPid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return ((utime + stime) * 1_000) / CLOCK_TICKS_PER_S;
}

/** The direct children of a process (its upstream children, for a gateway). */
function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}

function medianLoad(runs: LoadResult[]): LoadResult {
  const mid = (pick: (r: LoadResult) => number) => runs.map(pick).sort((x, y) => x - y)[Math.floor(runs.length / 2)]!;
  return {
    throughput: mid((r) => r.throughput),
    p50Ms: mid((r) => r.p50Ms),
    p99Ms: mid((r) => r.p99Ms),
    cpu: {
      gateways: mid((r) => r.cpu.gateways),
      upstreams: mid((r) => r.cpu.upstreams),
      redis: mid((r) => r.cpu.redis),
      client: mid((r) => r.cpu.client),
    },
  };
}

export function renderTwoProcesses(result: TwoProcessResult): string {
  const header = [
    'setup',
    'calls/s',
    'p50',
    'p99',
    'CPU/call: gateways',
    'upstreams',
    'redis',
    'bench client',
    'total',
  ];
  const row = (name: string, r: LoadResult) => {
    const total = r.cpu.gateways + r.cpu.upstreams + r.cpu.redis + r.cpu.client;
    return [
      name,
      r.throughput.toFixed(0),
      ms(r.p50Ms),
      ms(r.p99Ms),
      ...[r.cpu.gateways, r.cpu.upstreams, r.cpu.redis, r.cpu.client, total].map(ms),
    ];
  };
  const lines = [
    row('direct (stand-in)', result.direct),
    row('one Airlock process', result.one),
    row('two Airlock processes', result.two),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const table = [header, ...lines].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
  const ratio = (two: number, one: number) => `${((100 * two) / one).toFixed(0)} %`;
  return `${table}\ntwo / one: calls/s ${ratio(result.two.throughput, result.one.throughput)}, p50 ${ratio(result.two.p50Ms, result.one.p50Ms)}, p99 ${ratio(result.two.p99Ms, result.one.p99Ms)}; one / direct: calls/s ${ratio(result.one.throughput, result.direct.throughput)}; two / direct: calls/s ${ratio(result.two.throughput, result.direct.throughput)}`;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
