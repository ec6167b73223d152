import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApprovalEngine, ApprovalView } from '../../src/approvals/index.js';
import { taskBindingKey } from '../../src/redis/index.js';
import { connectAgentHttp } from '../helpers/agents.js';
import { randomPrefix, startEngine } from '../helpers/approvals.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { startGateway, stopProcess, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { listen, pollUntil, post, stdioAgent, taskSession, type Json } from '../helpers/tasks.js';

// Held calls as MCP tasks: 2026-era agents that declare the tasks extension get the approval as a
// task at once; any Airlock process answers tasks/get; the approved call runs exactly once, in
// whichever process's worker takes the approval's job, with no agent request open.
const TOKEN = 'approval-tasks-agent-token-000001';
const OTHER = 'approval-tasks-other-token-000002';
const APPROVER = 'U0APPROVER1';
const SUBSCRIPTION = 'io.modelcontextprotocol/subscriptionId';
const dir = tempDir();
const callLog = join(dir, 'calls.jsonl');
const prefix = randomPrefix();
const approval = (timeout: string) => ({ action: 'require_approval', approval: { approvers: [APPROVER], timeout } });
const policy = {
  version: '1',
  default: 'deny',
  tools: { 'get_*': {}, copy_model_version: { ...approval('10m'), reason: 'Promotes a model version' } },
  servers: {
    fixture: { tools: { echo: approval('10m'), slow: approval('10m'), protocol_error: approval('10m') } },
    short: { tools: { echo: approval('1500ms') } },
  },
};
const configFile = writeGatewayConfig(
  dir,
  {
    upstreams: {
      mlflow: upstreams.standin(['--state', join(dir, 'mlflow-state.json')]),
      fixture: upstreams.fixture(callLog),
      short: { ...upstreams.fixture(callLog), prefix: 'short' },
    },
    policy: writeJson(join(dir, 'policy.json'), policy),
    grants: [
      { name: 'agent', token: TOKEN, hold: '1s' },
      { name: 'other', token: OTHER },
    ],
    approvals: { execution_lease: '2s' },
  },
  { prefix },
);

let first: GatewayProcess;
let second: GatewayProcess;
let engine: ApprovalEngine;

beforeAll(async () => {
  writeFileSync(callLog, '');
  [first, second] = await Promise.all([startGateway({ config: configFile }), startGateway({ config: configFile })]);
  engine = await startEngine({ redisUrl: `unix://${inject('redisPath')}`, prefix, processJobs: false });
});

afterAll(async () => {
  await engine?.close();
  await Promise.all([first?.stop(), second?.stop()]);
});

const copyArgs = (version: string) => ({
  src_model_name: 'fraud-detector-dev',
  src_version: version,
  dst_model_name: 'fraud-detector-prod',
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, 'approvals', ...args, '--config', configFile], { encoding: 'utf8' });
}

async function callTool(mcpUrl: string, name: string, args: Json, token = TOKEN, tasks = true): Promise<Json> {
  const answer = await post(mcpUrl, token, 'tools/call', { name, arguments: args }, tasks);
  if (answer.error) throw new Error(`tools/call ${name}: ${answer.error.message}`);
  return answer.result!;
}

async function prodVersions(mcpUrl: string): Promise<number> {
  const result = await callTool(mcpUrl, 'mlflow__get_model_versions', { model_name: 'fraud-detector-prod' });
  return ((result['structuredContent'] as { result: unknown[] }).result ?? []).length;
}

const upstreamCalls = (tool: string) =>
  readFileSync(callLog, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"tool":"${tool}"`)).length;

const auditEvents = (gateway: GatewayProcess) =>
  readFileSync(gateway.auditFile!, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Json);

describe('a held call as an MCP task', () => {
  it('is a task at once, approved from the CLI, completed on another process with the call run once', async () => {
    const before = await prodVersions(first.mcpUrl);
    const client = await connectAgentHttp(first.mcpUrl, TOKEN, 'modern');
    const session = taskSession(client, first.mcpUrl, TOKEN);
    try {
      const execution = await session.callTool('mlflow__copy_model_version', copyArgs('1'));
      expect(execution.kind).toBe('task');
      const created = await callTool(first.mcpUrl, 'mlflow__copy_model_version', copyArgs('1'));
      const taskId = String(created['taskId']);
      expect(created).toMatchObject({ resultType: 'task', status: 'working', pollIntervalMs: 5_000 });
      expect(created['statusMessage']).toMatch(
        new RegExp(`^Awaiting approval by ${APPROVER} \\(0 of 1\\); expires .+ UTC; approval ${taskId}$`),
      );
      expect(created['ttlMs']).toBeGreaterThanOrEqual(10 * 60_000);
      const view = await engine.get(taskId);
      expect(view).toMatchObject({ state: 'pending', task: true, tool: 'copy_model_version' });
      expect(cli('show', taskId).stdout).toMatch(/waits as\s+an MCP task/);
      expect(cli('list').stdout).toMatch(new RegExp(`${taskId}\\s+pending \\(task\\)`));

      const approved = cli('approve', taskId, '--as', APPROVER);
      expect(approved.status, approved.stderr).toBe(0);
      expect(approved.stdout).toContain('its task completes with the result');
      const done = await pollUntil(second.mcpUrl, TOKEN, taskId, undefined, 20_000);
      expect(done).toMatchObject({ status: 'completed', result: { isError: false } });
      expect(JSON.stringify(done['result'])).toContain('fraud-detector-prod');
      // The requester's own task (the same approval: same arguments) settles with the same result.
      const settled = await execution.settle();
      expect(resultFromTaskOutcome(settled.outcome)).toEqual(done['result']);
    } finally {
      await session.close();
      await client.close();
    }
    expect(await prodVersions(second.mcpUrl)).toBe(before + 1);
    expect(await engine.get((await engine.list({ state: 'executed' }))[0]!.id)).toMatchObject({ outcome: 'ok' });
  });

  it('ends in the documented tool results when denied, expired or cancelled', async () => {
    const denied = String((await callTool(first.mcpUrl, 'fixture__echo', { text: 'deny me' }))['taskId']);
    expect(cli('deny', denied, '--as', APPROVER, '--reason', 'not today').status).toBe(0);
    expect(await pollUntil(second.mcpUrl, TOKEN, denied)).toMatchObject({
      status: 'completed',
      statusMessage: expect.stringMatching(/^Denied by U0APPROVER1/),
      result: { isError: true, structuredContent: { status: 'denied', reason: 'not today' } },
    });

    const expired = String((await callTool(first.mcpUrl, 'short__echo', { text: 'let me expire' }))['taskId']);
    expect(await pollUntil(first.mcpUrl, TOKEN, expired)).toMatchObject({
      status: 'completed',
      result: { isError: true, structuredContent: { status: 'expired', timeout: '1500ms' } },
    });

    const cancelled = String((await callTool(first.mcpUrl, 'fixture__echo', { text: 'cancel me' }))['taskId']);
    const ack = await post(second.mcpUrl, TOKEN, 'tasks/cancel', { taskId: cancelled });
    expect(ack.result).toMatchObject({ resultType: 'complete' });
    expect(ack.result).not.toHaveProperty('status');
    expect(await engine.get(cancelled)).toMatchObject({ state: 'withdrawn', decidedBy: 'agent:agent' });
    expect(await pollUntil(first.mcpUrl, TOKEN, cancelled)).toMatchObject({
      status: 'completed',
      result: { structuredContent: { status: 'withdrawn', withdrawn_by: 'agent:agent' } },
    });
    expect(upstreamCalls('echo')).toBe(0);
    await waitFor(
      () =>
        [first, second].some((g) =>
          auditEvents(g).some((e) => e['type'] === 'approval.withdrawn' && e['approval_id'] === cancelled),
        ),
      10_000,
      'the withdrawal in an audit trail',
    );
  });

  it("fails with the upstream's JSON-RPC error, and is not found by another grant", async () => {
    const taskId = String((await callTool(first.mcpUrl, 'fixture__protocol_error', {}))['taskId']);
    for (const method of ['tasks/get', 'tasks/cancel']) {
      const foreign = await post(second.mcpUrl, OTHER, method, { taskId });
      expect(foreign.error).toMatchObject({ code: -32602, message: expect.stringContaining('Task not found') });
    }
    expect((await engine.get(taskId)).state).toBe('pending');
    await engine.decide(taskId, 'approve', APPROVER);
    const failed = await pollUntil(second.mcpUrl, TOKEN, taskId);
    expect(failed).toMatchObject({
      status: 'failed',
      error: { code: expect.any(Number), message: expect.any(String) },
    });
    expect(failed).not.toHaveProperty('result');
  });

  it('sends notifications/tasks on a listen stream of another process as the approval changes', async () => {
    const taskId = String((await callTool(first.mcpUrl, 'fixture__echo', { text: 'tell me' }))['taskId']);
    const stream = await listen(second.mcpUrl, TOKEN, {
      taskIds: [taskId, 'not-a-task-of-mine'],
      toolsListChanged: true,
    });
    try {
      const ack = await stream.next((m) => m['method'] === 'notifications/subscriptions/acknowledged');
      expect(ack['params']).toMatchObject({ notifications: { taskIds: [taskId], toolsListChanged: true } });
      await engine.decide(taskId, 'approve', APPROVER);
      const done = await stream.next(
        (m) => m['method'] === 'notifications/tasks' && (m['params'] as Json)['status'] === 'completed',
      );
      expect(done['params']).toMatchObject({
        taskId,
        result: { content: [{ type: 'text', text: 'tell me' }] },
        _meta: { 'io.modelcontextprotocol/subscriptionId': expect.anything() },
      });
    } finally {
      stream.close();
    }
    const refused = await listen(second.mcpUrl, TOKEN, { taskIds: [taskId] }, false);
    expect(await refused.next((m) => m['error'] !== undefined)).toMatchObject({ error: { code: -32021 } });
    refused.close();
  });

  it('sends notifications/tasks to a stdio agent on its listen subscription', async () => {
    const agent = stdioAgent(configFile, 'agent');
    try {
      const created = await agent.request('tools/call', { name: 'fixture__echo', arguments: { text: 'over stdio' } });
      expect(created.result).toMatchObject({ resultType: 'task', status: 'working' });
      const taskId = String(created.result!['taskId']);
      const refused = await agent.request('subscriptions/listen', { notifications: { taskIds: [taskId] } }, false);
      expect(refused.error).toMatchObject({ code: -32021 });
      const id = agent.start('subscriptions/listen', { notifications: { taskIds: [taskId, 'nobody'] } });
      const of = (m: Json) => ((m['params'] as Json | undefined)?.['_meta'] as Json | undefined)?.[SUBSCRIPTION];
      const ack = await agent.next((m) => m['method'] === 'notifications/subscriptions/acknowledged' && of(m) === id);
      expect((ack['params'] as Json)['notifications']).toEqual({ taskIds: [taskId] });
      const isTask = (status: string) => (m: Json) =>
        m['method'] === 'notifications/tasks' && of(m) === id && (m['params'] as Json)['status'] === status;
      await agent.next(isTask('working'));
      await engine.decide(taskId, 'approve', APPROVER);
      const done = await agent.next(isTask('completed'));
      expect(done['params']).toMatchObject({ taskId, result: { content: [{ type: 'text', text: 'over stdio' }] } });
      agent.notify('notifications/cancelled', { requestId: id });
    } finally {
      await agent.close();
    }
  });

  it('keeps the hold and pending answer for agents without the extension', async () => {
    const result = await callTool(first.mcpUrl, 'fixture__echo', { text: 'no tasks here' }, TOKEN, false);
    expect(result).not.toHaveProperty('resultType', 'task');
    expect(result['structuredContent']).toMatchObject({ status: 'pending', approval_state: 'pending' });
    const held: ApprovalView | undefined = (await engine.list({ grant: 'agent', state: 'pending' })).find(
      (v) => JSON.stringify(v.args) === JSON.stringify({ text: 'no tasks here' }),
    );
    expect(held).toMatchObject({ task: false });
  });
});

/** A gateway config of a test's own (the fixture upstream, a deny-by-default policy of `tools`, its own prefix) and an engine on it. */
async function ownSetup(name: string, tools: Record<string, unknown>, approvals?: Record<string, unknown>) {
  const ownPrefix = randomPrefix();
  const config = writeGatewayConfig(
    dir,
    {
      upstreams: { fixture: upstreams.fixture(callLog) },
      policy: writeJson(join(dir, `${name}-policy.json`), { version: '1', default: 'deny', tools }),
      grants: [{ name: 'agent', token: TOKEN }],
      ...(approvals ? { approvals } : {}),
    },
    { name, prefix: ownPrefix },
  );
  const engine = await startEngine({
    redisUrl: `unix://${inject('redisPath')}`,
    prefix: ownPrefix,
    processJobs: false,
  });
  return { config, prefix: ownPrefix, engine };
}

describe('an approved task whose Airlock process dies while running it', () => {
  it('ends failed with the outcome unknown, and is never run twice', async () => {
    const { config: own, engine: ownEngine } = await ownSetup(
      'kill',
      { slow: approval('10m') },
      { execution_lease: '2s' },
    );
    const doomed = await startGateway({ config: own });
    let survivor: GatewayProcess | undefined;
    try {
      const taskId = String((await callTool(doomed.mcpUrl, 'slow', { ms: 60_000 }))['taskId']);
      const slowBefore = upstreamCalls('slow');
      await ownEngine.decide(taskId, 'approve', APPROVER);
      await waitFor(() => upstreamCalls('slow') > slowBefore, 15_000, 'the approved call to reach the upstream');
      await stopProcess(doomed.child, 'SIGKILL');
      survivor = await startGateway({ config: own });
      const failed = await pollUntil(survivor.mcpUrl, TOKEN, taskId, undefined, 20_000);
      expect(failed).toMatchObject({
        status: 'failed',
        statusMessage: expect.stringMatching(/^Outcome unknown/),
        error: { code: -32603 },
      });
      expect(await ownEngine.get(taskId)).toMatchObject({ state: 'executed', outcome: 'unknown' });
      expect(upstreamCalls('slow')).toBe(slowBefore + 1);
    } finally {
      await ownEngine.close();
      await survivor?.stop();
    }
  });
});

describe('a task whose approval comes hours later, after every Airlock process restarted', () => {
  it("keeps the task routable for the approval's whole life and completes it on a new process", async () => {
    const { config: own, prefix: ownPrefix, engine: ownEngine } = await ownSetup('later', { echo: approval('8h') });
    const redis = new Redis(inject('redisPath'));
    const asking = await startGateway({ config: own });
    let later: GatewayProcess | undefined;
    try {
      const task = await callTool(asking.mcpUrl, 'echo', { text: 'much later' });
      const taskId = String(task['taskId']);
      const eightHours = 8 * 3_600_000;
      // Every clock the task runs on is the approval's own: its TTL, the binding's life in Redis.
      expect(task['ttlMs']).toBeGreaterThan(eightHours);
      expect(await redis.pttl(taskBindingKey('agent', taskId, ownPrefix))).toBeGreaterThan(eightHours);
      await asking.stop();
      const echoBefore = upstreamCalls('echo');
      await ownEngine.decide(taskId, 'approve', APPROVER);
      later = await startGateway({ config: own });
      const done = await pollUntil(later.mcpUrl, TOKEN, taskId, undefined, 20_000);
      expect(done).toMatchObject({ status: 'completed', result: { content: [{ type: 'text', text: 'much later' }] } });
      expect(upstreamCalls('echo')).toBe(echoBefore + 1);
    } finally {
      redis.disconnect();
      await ownEngine.close();
      await later?.stop();
    }
  });
});
