import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApprovalEngine } from '../../src/approvals/index.js';
import type { AuditEvent } from '../../src/audit/events.js';
import { connectAgentHttp, type AgentEra } from '../helpers/agents.js';
import { randomPrefix, startEngine } from '../helpers/approvals.js';
import { readAuditEvents } from '../helpers/audit.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { startLoadBalancer, type LoadBalancer } from '../helpers/load-balancer.js';
import { CLI, tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { pollUntil, post, type Json } from '../helpers/tasks.js';

// README "Behind a load balancer": two Airlock processes from one config file on one Redis,
// behind a real HAProxy. 2025-era sessions stick to the process that opened them; 2026-era
// requests go to either; counters and approvals are shared. Each process writes an audit file of
// its own, which tells which process served which call.
const AGENT = 'lb-agent-token-0000000000000001';
const LIMITED = 'lb-limited-token-00000000000002';
const APPROVER = 'U0LBAPPROVER';
const MAX = 5;
const dir = tempDir();
const prefix = randomPrefix();
const policy = {
  version: '1',
  default: 'deny',
  tools: {
    get_registered_models: {},
    get_model_versions: {},
    get_experiments: { limits: [{ counter: 'lb_reads', window: 'hour', max: MAX, scope: 'grant' }] },
    copy_model_version: {
      action: 'require_approval',
      reason: 'Promotes a model version',
      approval: { approvers: [APPROVER], timeout: '10m' },
    },
  },
};
const configFile = writeGatewayConfig(
  dir,
  {
    // One store for both processes' stand-ins, as one MLflow server behind them would be.
    upstreams: { mlflow: upstreams.standin(['--state', join(dir, 'mlflow-state.json')]) },
    policy: writeJson(join(dir, 'policy.json'), policy),
    grants: [
      { name: 'agent', token: AGENT, owner: 'U0OWNER', hold: '30s' },
      { name: 'limited', token: LIMITED, owner: 'U0OWNER' },
    ],
  },
  { prefix },
);

let gateways: GatewayProcess[] = [];
let lb: LoadBalancer;
/** Reads approvals (processes no jobs): quicker to poll than the CLI. */
let engine: ApprovalEngine;
const clients: Client[] = [];
const extraBalancers: LoadBalancer[] = [];

beforeAll(async () => {
  gateways = await Promise.all([0, 1].map(() => startGateway({ config: configFile })));
  lb = await startLoadBalancer(gateways.map((g) => g.baseUrl));
  engine = await startEngine({ redisUrl: `unix://${inject('redisPath')}`, prefix, processJobs: false });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await engine?.close();
  await Promise.all([lb, ...extraBalancers].map((b) => b?.stop()));
  await Promise.all(gateways.map((g) => g.stop()));
});

async function agent(era: AgentEra, token = AGENT, url = lb.mcpUrl): Promise<Client> {
  const client = await connectAgentHttp(url, token, era);
  clients.push(client);
  return client;
}

interface Audited {
  event: AuditEvent;
  /** 0 or 1: the process whose audit file has it. */
  process: number;
}

/** Every audit event so far, with the process that wrote it. */
function audited(): Audited[] {
  return gateways.flatMap((g, process) =>
    existsSync(g.auditFile!) ? readAuditEvents(g.auditFile!).map((event) => ({ event, process })) : [],
  );
}

/** The audited events `select` picks, once there are `count` of them (audit writes are asynchronous). */
async function auditedOnce(select: (e: AuditEvent) => boolean, count: number, what: string): Promise<Audited[]> {
  let found: Audited[] = [];
  await waitFor(() => (found = audited().filter((a) => select(a.event))).length >= count, 10_000, what);
  expect(found).toHaveLength(count);
  return found;
}

/** How many of `events` each process (0, 1) wrote. */
const perProcess = (events: Audited[]) => [0, 1].map((p) => events.filter((a) => a.process === p).length);

const status = (result: unknown) => (result as { structuredContent?: { status?: string } }).structuredContent?.status;
const copyArgs = (version: string) => ({
  src_model_name: 'fraud-detector-dev',
  src_version: version,
  dst_model_name: 'fraud-detector-prod',
});

function approvalsCli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, 'approvals', ...args, '--config', configFile], { encoding: 'utf8' });
}

async function pendingApprovalId(args: Record<string, unknown>): Promise<string> {
  let id: string | undefined;
  await waitFor(
    async () => {
      const pending = await engine.list({ grant: 'agent', state: 'pending' });
      id = pending.find((a) => JSON.stringify(a.args) === JSON.stringify(args))?.id;
      return id !== undefined;
    },
    15_000,
    'the held call to be pending',
  );
  return id!;
}

async function prodVersions(client: Client): Promise<number> {
  const result = await client.callTool({
    name: 'get_model_versions',
    arguments: { model_name: 'fraud-detector-prod' },
  });
  return ((result.structuredContent as { result?: unknown[] }).result ?? []).length;
}

/** The call's `call.forwarded` events: who ran it, and how often. */
const forwardedOf = (callId: string) =>
  audited().filter((a) => a.event.type === 'call.forwarded' && a.event.call_id === callId);

describe('two Airlock processes behind HAProxy', () => {
  it('keeps each 2025-era session on the process that opened it, for every call; sessions spread over both', async () => {
    const sessions = await Promise.all([0, 1, 2, 3].map(() => agent('legacy')));
    for (const client of sessions) expect(client.getProtocolEra()).toBe('legacy');
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(
        sessions.map((c) => c.callTool({ name: 'get_registered_models', arguments: {} })),
      );
      for (const result of results) expect(result.isError).toBeFalsy();
    }
    const received = await auditedOnce(
      (e) => e.type === 'call.received' && e.tool === 'get_registered_models',
      40,
      '40 calls in the audit files',
    );
    const ids = [...new Set(received.map((a) => a.event.session))];
    expect(ids).toHaveLength(4);
    // Every one of a session's ten calls was served by one and the same process.
    const homes = ids.map((id) => {
      const calls = received.filter((a) => a.event.session === id);
      expect(calls).toHaveLength(10);
      expect(new Set(calls.map((a) => a.process)).size, `session ${id}`).toBe(1);
      return calls[0]!.process;
    });
    // Round robin placed the four initialize requests two on each process.
    expect(homes.filter((p) => p === 0)).toHaveLength(2);
    expect(homes.filter((p) => p === 1)).toHaveLength(2);
  });

  it('without the stick rules the same session breaks at its second request (what the stickiness is for)', async () => {
    const plain = await startLoadBalancer(
      gateways.map((g) => g.baseUrl),
      { sticky: false },
    );
    extraBalancers.push(plain);
    const attempt = (async () => {
      const client = await agent('legacy', AGENT, plain.mcpUrl);
      for (let i = 0; i < 4; i++) await client.callTool({ name: 'get_registered_models', arguments: {} });
    })();
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringContaining('Session not found'),
      data: { status: 404 },
    });
    // initialize went to one process; the session's next request to the other, which does not know it.
    expect(Object.values(await plain.servers()).map((s) => s.requests)).toEqual([1, 1]);
  });

  it('balances 2026-era requests over both processes', async () => {
    const client = await agent('modern');
    expect(client.getProtocolEra()).toBe('modern');
    const args = { model_name: 'fraud-detector-dev' };
    for (let i = 0; i < 10; i++) {
      const result = await client.callTool({ name: 'get_model_versions', arguments: args });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.structuredContent)).toContain('fraud-detector-dev');
    }
    const received = await auditedOnce(
      (e) =>
        e.type === 'call.received' &&
        e.tool === 'get_model_versions' &&
        JSON.stringify(e.args) === JSON.stringify(args),
      10,
      'the 10 calls in the audit files',
    );
    // Round robin, one request at a time: strictly alternating.
    expect(perProcess(received)).toEqual([5, 5]);
    expect(received.every((a) => a.event.session === 'grant:agent')).toBe(true);
  });

  it('counts a grant-scoped limit once across both processes: exactly max calls admitted in total', async () => {
    // One grant: a 2025-era session on each process and a 2026-era agent going to either.
    const callers = [
      ...(await Promise.all([0, 1].map(() => agent('legacy', LIMITED)))),
      await agent('modern', LIMITED),
    ];
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) => callers[i % 3]!.callTool({ name: 'get_experiments', arguments: {} })),
    );
    expect(results.filter((r) => !r.isError)).toHaveLength(MAX);
    expect(results.filter((r) => status(r) === 'rate_limited')).toHaveLength(15 - MAX);

    const received = await auditedOnce(
      (e) => e.type === 'call.received' && e.grant === 'limited',
      15,
      'the 15 calls in the audit files',
    );
    // Each process received more than max calls: a counter per process would have admitted 2 × max.
    for (const count of perProcess(received)) expect(count).toBeGreaterThan(MAX);
    const legacyHomes = received.filter((a) => a.event.session !== 'grant:limited').map((a) => a.process);
    expect(new Set(legacyHomes)).toEqual(new Set([0, 1]));
    // The audit agrees call by call: max forwarded, the others rate-limited, by both processes.
    const forwarded = await auditedOnce(
      (e) => e.type === 'call.forwarded' && e.grant === 'limited',
      MAX,
      'the admitted calls forwarded',
    );
    const limited = await auditedOnce(
      (e) => e.type === 'call.rate_limited' && e.grant === 'limited',
      15 - MAX,
      'the other calls rate-limited',
    );
    expect(new Set(limited.map((a) => a.process))).toEqual(new Set([0, 1]));
    expect(new Set([...forwarded, ...limited].map((a) => a.event.call_id)).size).toBe(15);
  });

  it.each<[AgentEra, string]>([
    ['legacy', '1'],
    ['modern', '2'],
  ])(
    'a %s call held through the balancer is approved from the CLI and runs once, with the real result',
    async (era, version) => {
      const client = await agent(era);
      const args = copyArgs(version);
      const before = await prodVersions(client);
      const held = client.callTool({ name: 'copy_model_version', arguments: args }, { timeout: 60_000 });
      const approvalId = await pendingApprovalId(args);
      const approved = approvalsCli('approve', approvalId, '--as', APPROVER);
      expect(approved.stderr).toBe('');
      expect(approved.status).toBe(0);

      const result = await held;
      expect(result.isError).toBeFalsy();
      expect(JSON.parse((result.content as { text: string }[])[0]!.text)).toMatchObject({
        name: 'fraud-detector-prod',
        source: `models:/fraud-detector-dev/${version}`,
      });
      expect(await prodVersions(client)).toBe(before + 1);

      // Run exactly once, by the process holding the agent's request.
      const [requested] = await auditedOnce(
        (e) => e.type === 'approval.requested' && e.approval_id === approvalId,
        1,
        'the approval requested',
      );
      await waitFor(() => forwardedOf(requested!.event.call_id).length > 0, 10_000, 'the call forwarded');
      expect(forwardedOf(requested!.event.call_id).map((a) => a.process)).toEqual([requested!.process]);
    },
  );

  it('a 2026-era approval task: created on one process, run once, its tasks/get answered by both', async () => {
    const args = copyArgs('3');
    const reader = await agent('modern');
    const versionsBefore = await prodVersions(reader);
    const created = await post(lb.mcpUrl, AGENT, 'tools/call', { name: 'copy_model_version', arguments: args });
    expect(created.result).toMatchObject({ resultType: 'task', status: 'working' });
    const taskId = String((created.result as Json)['taskId']);
    const approved = approvalsCli('approve', taskId, '--as', APPROVER);
    expect(approved.status, approved.stderr).toBe(0);
    const done = await pollUntil(lb.mcpUrl, AGENT, taskId, undefined, 20_000);
    expect(done).toMatchObject({ status: 'completed', result: { isError: false } });
    expect(JSON.stringify(done['result'])).toContain('models:/fraud-detector-dev/3');

    // Two more tasks/get in a row: round robin sends one to each process, and both know the task.
    const before = await lb.servers();
    for (let i = 0; i < 2; i++)
      expect((await post(lb.mcpUrl, AGENT, 'tasks/get', { taskId })).result).toMatchObject({ status: 'completed' });
    const after = await lb.servers();
    expect(Object.keys(after).map((name) => after[name]!.requests - before[name]!.requests)).toEqual([1, 1]);

    const [requested] = await auditedOnce(
      (e) => e.type === 'approval.requested' && e.approval_id === taskId,
      1,
      'the approval requested',
    );
    await waitFor(() => forwardedOf(requested!.event.call_id).length > 0, 10_000, 'the call forwarded');
    expect(forwardedOf(requested!.event.call_id)).toHaveLength(1);
    expect(await prodVersions(reader)).toBe(versionsBefore + 1);
  });
});
