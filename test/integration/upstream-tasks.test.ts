import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgentHttp } from '../helpers/agents.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { gatewayForFile, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { listen, pollUntil, post, taskSession, terminal, TASKS, type Json } from '../helpers/tasks.js';
import { ROOT, tempDir } from '../helpers/paths.js';

// Upstream tasks (the MCP tasks extension) through Airlock: the conformance fixture, whose task
// tools follow the extension, as a 2026-era stdio upstream; 2026-era agents that declare the
// extension; the official tasks requester (@modelcontextprotocol/ext-tasks) as one of them.
const FIXTURE = join(ROOT, 'test/conformance/fixture-server.ts');
const TOKEN = 'tasks-agent-token-0123456789abcdef';
const OTHER_TOKEN = 'tasks-other-token-0123456789abcdef';
const dir = tempDir();
const configFile = writeGatewayConfig(dir, {
  upstreams: {
    jobs: { command: process.execPath, args: ['--import', 'tsx', FIXTURE, '--stdio'], cwd: ROOT, prefix: 'jobs' },
  },
  policy: { version: '1', default: 'allow', prompts: { '*': {} } },
  grants: [
    { name: 'agent', token: TOKEN },
    { name: 'other', token: OTHER_TOKEN },
  ],
});
const fixture = gatewayForFile(configFile);

describe('upstream tasks through Airlock', () => {
  it('offers the tasks extension to 2026-era agents, as its upstream does', async () => {
    const agent = fixture.track(await connectAgentHttp(fixture.get().mcpUrl, TOKEN, 'modern'));
    expect(agent.getServerCapabilities()?.extensions).toEqual({ [TASKS]: {} });
  });

  it('polls an upstream task to completion with the official tasks requester, and audits it', async () => {
    const { mcpUrl } = fixture.get();
    const client = fixture.track(await connectAgentHttp(mcpUrl, TOKEN, 'modern'));
    const session = taskSession(client, mcpUrl, TOKEN);
    try {
      const execution = await session.callTool('jobs__slow_compute', { seconds: 1, label: 'through-airlock' });
      expect(execution.kind).toBe('task');
      const { outcome } = await execution.settle();
      const result = resultFromTaskOutcome(outcome) as { content: { text: string }[] };
      expect(result.content[0]!.text).toBe('Computed through-airlock after 1s');
    } finally {
      await session.close();
    }
    const events = readFileSync(fixture.get().auditFile!, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Json);
    const outcome = events.find((e) => e['type'] === 'call.outcome' && e['outcome'] === 'task');
    expect(outcome).toMatchObject({ grant: 'agent', server: 'jobs', tool: 'slow_compute' });
    expect(typeof outcome!['task_id']).toBe('string');
  });

  it("answers a task's input requests with tasks/update, then the task completes", async () => {
    const { mcpUrl } = fixture.get();
    const created = await post(mcpUrl, TOKEN, 'tools/call', {
      name: 'jobs__confirm_delete',
      arguments: { filename: 'old.txt' },
    });
    expect(created.result).toMatchObject({ resultType: 'task', taskId: expect.any(String) });
    const taskId = String(created.result!['taskId']);
    const asking = await pollUntil(mcpUrl, TOKEN, taskId, (t) => t['status'] === 'input_required' || terminal(t));
    expect(asking['inputRequests']).toMatchObject({ confirm: { method: 'elicitation/create' } });
    const ack = await post(mcpUrl, TOKEN, 'tasks/update', {
      taskId,
      inputResponses: { confirm: { action: 'accept', content: { confirm: true } } },
    });
    expect(ack.result).toMatchObject({ resultType: 'complete' });
    expect(ack.result).not.toHaveProperty('status');
    const done = await pollUntil(mcpUrl, TOKEN, taskId, terminal);
    expect(done).toMatchObject({ status: 'completed', result: { content: [{ text: 'Deleted old.txt' }] } });
  });

  it('cancels an upstream task with tasks/cancel', async () => {
    const { mcpUrl } = fixture.get();
    const created = await post(mcpUrl, TOKEN, 'tools/call', { name: 'jobs__slow_compute', arguments: { seconds: 60 } });
    const taskId = String(created.result!['taskId']);
    const ack = await post(mcpUrl, TOKEN, 'tasks/cancel', { taskId });
    expect(ack.result).toMatchObject({ resultType: 'complete' });
    expect(ack.result).not.toHaveProperty('status');
    expect(await pollUntil(mcpUrl, TOKEN, taskId, terminal)).toMatchObject({ status: 'cancelled' });
  });

  it('binds a task to the grant that created it: to another grant it does not exist', async () => {
    const { mcpUrl } = fixture.get();
    const created = await post(mcpUrl, TOKEN, 'tools/call', { name: 'jobs__slow_compute', arguments: { seconds: 60 } });
    const taskId = String(created.result!['taskId']);
    for (const method of ['tasks/get', 'tasks/cancel'] as const) {
      const foreign = await post(mcpUrl, OTHER_TOKEN, method, { taskId });
      expect(foreign.error).toMatchObject({ code: -32602, message: expect.stringContaining('Task not found') });
    }
    // Still running for its own grant: the other grant's cancel never reached the upstream.
    expect((await post(mcpUrl, TOKEN, 'tasks/get', { taskId })).result).toMatchObject({ status: 'working' });
    await post(mcpUrl, TOKEN, 'tasks/cancel', { taskId });
  });

  it('refuses task methods to a request without the extension (-32021), naming what is missing', async () => {
    const answer = await post(fixture.get().mcpUrl, TOKEN, 'tasks/get', { taskId: 'any' }, false);
    expect(answer.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { [TASKS]: {} } } },
    });
  });
});

describe('a task of a stdio upstream, asked about on another Airlock process', () => {
  let other: GatewayProcess;
  beforeAll(async () => {
    other = await startGateway({ config: configFile });
  });
  afterAll(async () => {
    await other.stop();
  });

  it('is relayed to the process whose upstream child holds the task', async () => {
    const created = await post(fixture.get().mcpUrl, TOKEN, 'tools/call', {
      name: 'jobs__slow_compute',
      arguments: { seconds: 1, label: 'relayed' },
    });
    const taskId = String(created.result!['taskId']);
    const done = await pollUntil(other.mcpUrl, TOKEN, taskId, terminal);
    expect(done).toMatchObject({ status: 'completed', result: { content: [{ text: 'Computed relayed after 1s' }] } });
  });

  it('sends notifications/tasks for it on a listen stream of that other process, to its grant only', async () => {
    const created = await post(fixture.get().mcpUrl, TOKEN, 'tools/call', {
      name: 'jobs__slow_compute',
      arguments: { seconds: 2, label: 'listened' },
    });
    const taskId = String(created.result!['taskId']);
    const foreign = await listen(other.mcpUrl, OTHER_TOKEN, { taskIds: [taskId] });
    const refused = await foreign.next((m) => m['method'] === 'notifications/subscriptions/acknowledged');
    expect((refused['params'] as Json)['notifications']).toEqual({});
    foreign.close();
    const stream = await listen(other.mcpUrl, TOKEN, { taskIds: [taskId] });
    try {
      const ack = await stream.next((m) => m['method'] === 'notifications/subscriptions/acknowledged');
      expect(ack['params']).toMatchObject({ notifications: { taskIds: [taskId] } });
      const isTask = (status: string) => (m: Json) =>
        m['method'] === 'notifications/tasks' && (m['params'] as Json)['status'] === status;
      // Its state at once, then its end, as the upstream reports them.
      expect((await stream.next(isTask('working')))['params']).toMatchObject({ taskId });
      const done = await stream.next(isTask('completed'));
      expect(done['params']).toMatchObject({
        taskId,
        result: { content: [{ text: 'Computed listened after 2s' }] },
        _meta: { 'io.modelcontextprotocol/subscriptionId': expect.anything() },
      });
      expect(done['params']).not.toHaveProperty('resultType');
    } finally {
      stream.close();
    }
  });
});
