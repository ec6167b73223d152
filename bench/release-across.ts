/**
 * Decide → release across processes: a call held by gateway A (the agent is connected to A) is
 * approved either by A's own approval engine or by gateway B's (another Airlock process on the same
 * Redis, as when a Slack click lands on another replica), alternating per approval so both see the
 * same machine load. Measured from decide() in the deciding process to the held call arriving at
 * A's upstream (the fixture's call log); every clock is this machine's wall clock, in ms.
 */
import { type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { ApprovalEngine } from '../src/approvals/index.js';
import { RedisConnections } from '../src/redis/index.js';
import { silentLogger } from '../src/shared/logger.js';
import { httpClient, spawnUntil, stop, fixtureUpstream } from './processes.js';

export interface Percentiles {
  p50Ms: number;
  p99Ms: number;
}

export interface ReleaseBenchResult {
  /** Approvals per decider. */
  approvals: number;
  /** A decides the call it holds. */
  sameProcess: { fromCall: Percentiles; fromReturn: Percentiles };
  /** B decides the call A holds. */
  otherProcess: { fromCall: Percentiles; fromReturn: Percentiles };
}

type Options = { root: string; dir: string; redisUrl: string; approvals: number };
type Decision = { calledAt: number; returnedAt: number };

const TOKEN = 'bench-release-token-0123456789ab';
const PREFIX = '{bench-release}';

export async function benchReleaseAcrossProcesses(options: Options): Promise<ReleaseBenchResult> {
  const callLog = join(options.dir, 'release-calls.jsonl');
  writeFileSync(callLog, '');
  const configFile = writeConfig(options, callLog);
  // The same config and data directory for both, as for any N processes of one setup.
  const [holder, other] = await startPair(options, configFile);
  const redis = new RedisConnections(options.redisUrl);
  let observer: ApprovalEngine | undefined;
  let agent: Client | undefined;
  try {
    // Only to learn each held call's approval id; it decides nothing.
    observer = await ApprovalEngine.start({ redis, prefix: PREFIX, log: silentLogger(), processJobs: false });
    agent = await httpClient(holder.url, TOKEN);
    const approvalIdOf = approvalIds(observer);
    const decided = new Map<string, { by: 'same' | 'other'; decision: Decision }>();
    for (let i = 0; i < 2 * options.approvals; i += 1) {
      const by = i % 2 === 0 ? 'same' : 'other';
      const tag = `release-${i}`;
      const id = approvalIdOf(tag);
      const result = agent.request(
        { method: 'tools/call', params: { name: 'echo', arguments: { text: tag } } },
        CallToolResultSchema,
        { timeout: 60_000 },
      );
      const decision = await (by === 'same' ? holder : other).decide(await id, tag);
      decided.set(tag, { by, decision });
      const answer = await result;
      if (answer.isError) throw new Error(`held call ${tag} failed: ${JSON.stringify(answer.content)}`);
    }
    const arrivals = new Map(
      readFileSync(callLog, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { at: number; args: { text: string } })
        .map((entry) => [entry.args.text, entry.at]),
    );
    const latencies = (by: 'same' | 'other', from: keyof Decision) =>
      percentiles([...decided].filter(([, d]) => d.by === by).map(([tag, d]) => arrivals.get(tag)! - d.decision[from]));
    return {
      approvals: options.approvals,
      sameProcess: { fromCall: latencies('same', 'calledAt'), fromReturn: latencies('same', 'returnedAt') },
      otherProcess: { fromCall: latencies('other', 'calledAt'), fromReturn: latencies('other', 'returnedAt') },
    };
  } finally {
    await agent?.close().catch(() => {});
    await Promise.all([stop(holder.child), stop(other.child)]);
    await observer?.close();
    await redis.close();
  }
}

function writeConfig(options: Options, callLog: string): string {
  const policyFile = join(options.dir, 'release-policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      version: '1',
      default: 'deny',
      tools: { echo: { action: 'require_approval', approval: { approvers: ['U0BENCH'], timeout: '1h' } } },
    }),
  );
  const configFile = join(options.dir, 'release.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      redis: { url: options.redisUrl, prefix: PREFIX },
      listen: { port: 0 },
      upstreams: {
        fixture: fixtureUpstream(options.root, callLog),
      },
      policy: policyFile,
      grants: [{ name: 'bench', token: TOKEN, hold: '10m' }],
    }),
  );
  return configFile;
}

/** Both deciders or neither: one failing to start must not leave the other running. */
async function startPair(options: Options, configFile: string): Promise<[Decider, Decider]> {
  const [a, b] = await Promise.allSettled([startDecider(options, configFile), startDecider(options, configFile)]);
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  for (const s of [a, b]) if (s.status === 'fulfilled') await stop(s.value.child);
  throw [a, b].flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []))[0];
}

interface Decider {
  child: ChildProcess;
  url: string;
  decide(id: string, tag: string): Promise<Decision>;
}

/** A gateway child (gateway-child.ts) that decides on request; `decide` resolves with its clock readings. */
async function startDecider(options: Options, configFile: string): Promise<Decider> {
  const { child, match } = await spawnUntil(
    process.execPath,
    ['--import', 'tsx', join(options.root, 'bench', 'gateway-child.ts'), configFile, join(options.dir, 'release-data')],
    /serving MCP at (\S+)/,
    { ...process.env, AIRLOCK_LOG_LEVEL: 'warn' },
    'pipe',
  );
  type Answer = Decision & { tag: string; error?: string };
  const waiting = new Map<string, (answer: Answer) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('decided ')) return;
    const answer = JSON.parse(line.slice('decided '.length)) as Answer;
    waiting.get(answer.tag)?.(answer);
  });
  // A decider that dies fails its open decisions instead of leaving the bench waiting.
  child.once('exit', (code) => {
    for (const [tag, settle] of waiting) settle({ tag, calledAt: 0, returnedAt: 0, error: `exited (${code})` });
  });
  const decide = (id: string, tag: string) =>
    new Promise<Decision>((resolve, reject) => {
      waiting.set(tag, (answer) => {
        waiting.delete(tag);
        if (answer.error !== undefined) reject(new Error(`decide ${id} failed: ${answer.error}`));
        else resolve(answer);
      });
      child.stdin!.write(`${JSON.stringify({ id, tag })}\n`);
    });
  return { child, url: match[1]!, decide };
}

/** Each held call's approval id, from the change feed (its arguments tell which call it is). */
function approvalIds(observer: ApprovalEngine): (tag: string) => Promise<string> {
  const waiting = new Map<string, (id: string) => void>();
  observer.events.on('change', (change) => {
    if (change.state !== 'pending' || change.version !== 1) return;
    observer.find(change.id).then(
      (view) => {
        const tag = (view?.args as { text?: string } | undefined)?.text;
        if (tag === undefined) return;
        waiting.get(tag)?.(change.id);
        waiting.delete(tag);
      },
      () => {},
    );
  });
  return (tag) => new Promise<string>((resolve) => waiting.set(tag, resolve));
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return { p50Ms: at(50), p99Ms: at(99) };
}
