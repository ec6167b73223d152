import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectAgentHttp, type AgentEra } from '../helpers/agents.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { gatewayForFile, startGateway, waitFor } from '../helpers/gateway.js';
import { ROOT, tempDir, upstreams, writeJson } from '../helpers/paths.js';

// The reference server that exercises every MCP feature, as a real stdio upstream next to the stand-in.
const EVERYTHING = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const TOKEN = 'forwarding-agent-token-0123456789';
const dir = tempDir();
const policy = {
  version: '1',
  default: 'allow',
  servers: {
    everything: {
      tools: { 'get-structured-content': { action: 'require_approval', approval: { approvers: ['U0APPROVER1'] } } },
    },
  },
};
const policyFile = writeJson(join(dir, 'policy.json'), policy);
const configFile = writeGatewayConfig(dir, {
  upstreams: {
    everything: { command: process.execPath, args: [EVERYTHING, 'stdio'], protocol: '2025-11-25' },
    mlflow: upstreams.standin(),
  },
  policy: policyFile,
  // A held call answers `pending` after a second, so the output-schema test does not wait 50 s.
  grants: [{ name: 'agent', token: TOKEN, hold: '1s' }],
});

const fixture = gatewayForFile(configFile);

describe.each<AgentEra>(['legacy', 'modern'])('what an upstream offers besides tools, to a %s agent', (era) => {
  let agent: Client;

  beforeAll(async () => {
    agent = await connectAgentHttp(fixture.get().mcpUrl, TOKEN, era);
    fixture.track(agent);
  });

  it('lists and reads resources under collision-free URIs, contents mapped back', async () => {
    expect(agent.getServerCapabilities()?.resources).toMatchObject({ listChanged: true, subscribe: true });
    const { resources } = await agent.listResources();
    const docs = resources.filter((r) => r.uri.startsWith('airlock://everything/demo://resource/static/document/'));
    expect(docs.length).toBeGreaterThan(0);
    const read = await agent.readResource({ uri: docs[0]!.uri });
    expect(read.contents[0]!.uri).toBe(docs[0]!.uri);
    expect(JSON.stringify(read.contents[0])).toMatch(/"text":"\S/);
  });

  it('lists resource templates and reads through one', async () => {
    const { resourceTemplates } = await agent.listResourceTemplates();
    const text = resourceTemplates.find((t) => t.uriTemplate.endsWith('/text/{resourceId}'));
    expect(text?.uriTemplate).toMatch(/^airlock:\/\/everything\/demo:\/\//);
    const uri = text!.uriTemplate.replace('{resourceId}', '3');
    const read = await agent.readResource({ uri });
    expect(read.contents[0]!.uri).toBe(uri);
  });

  it('answers an unknown URI with resource-not-found (-32602, data {uri})', async () => {
    const error = (await agent.readResource({ uri: 'nowhere://x' }).catch((e: unknown) => e)) as {
      code?: number;
      data?: unknown;
    };
    expect(error.code).toBe(-32602);
    expect(error.data).toEqual({ uri: 'nowhere://x' });
  });

  it('forwards completions to the upstream that owns the prompt, under its agent-facing name', async () => {
    const { prompts } = await agent.listPrompts();
    const prompt = prompts.find((p) => p.name === 'everything__completable-prompt');
    expect(prompt).toBeDefined();
    const answer = await agent.complete({
      ref: { type: 'ref/prompt', name: prompt!.name },
      argument: { name: 'department', value: 'E' },
    });
    expect(answer.completion.values).toEqual(['Engineering']);
  });
});

// A 2025-era upstream asks with server-to-client requests: a 2025-era agent gets them as they are,
// a 2026-era agent as input_required rounds its SDK client fulfils (the call held meanwhile).
describe.each<[AgentEra, string]>([
  ['legacy', 'push requests'],
  ['modern', 'input_required rounds'],
])('what a 2025-era upstream asks of a %s agent during a call (%s)', (era) => {
  let agent: Client;
  const asked: string[] = [];

  beforeAll(async () => {
    agent = await connectAgentHttp(fixture.get().mcpUrl, TOKEN, era, {
      client: { capabilities: { sampling: {}, elicitation: { form: {} } } },
      setup: (client) => {
        client.setRequestHandler('sampling/createMessage', (request) => {
          asked.push(JSON.stringify(request.params.messages));
          return {
            model: 'test-model',
            role: 'assistant',
            content: { type: 'text', text: `Paris, said the ${era} agent` },
          };
        });
        client.setRequestHandler('elicitation/create', () => ({ action: 'accept', content: { name: 'Ada Lovelace' } }));
      },
    });
    fixture.track(agent);
  });

  it('sends a sampling request to the agent whose call caused it and hands its answer back', async () => {
    const result = await agent.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'capital of France?' },
    });
    expect(asked.some((m) => m.includes('capital of France?'))).toBe(true);
    expect(JSON.stringify(result.content)).toContain(`Paris, said the ${era} agent`);
  });

  it('sends an elicitation to the agent and hands the accepted content back', async () => {
    const result = await agent.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
    expect(JSON.stringify(result.content)).toContain('Ada Lovelace');
  });
});

describe('a held call of a 2026-era agent across processes and policy changes', () => {
  it('answers a retry that reaches another Airlock process (relayed over Redis to the one holding the call)', async () => {
    const other = await startGateway({ config: configFile });
    try {
      const first = fixture.track(
        await connectAgentHttp(fixture.get().mcpUrl, TOKEN, 'modern', { client: { capabilities: { sampling: {} } } }),
      );
      const asked = (await first.request(
        {
          method: 'tools/call',
          params: { name: 'everything__trigger-sampling-request', arguments: { prompt: 'relay?' } },
        },
        { allowInputRequired: true },
      )) as unknown as { resultType: string; inputRequests: Record<string, { method: string }>; requestState: string };
      expect(asked.resultType).toBe('input_required');
      const [key, request] = Object.entries(asked.inputRequests)[0]!;
      expect(request.method).toBe('sampling/createMessage');
      const second = fixture.track(
        await connectAgentHttp(other.mcpUrl, TOKEN, 'modern', { client: { capabilities: { sampling: {} } } }),
      );
      const result = (await second.request({
        method: 'tools/call',
        params: {
          name: 'everything__trigger-sampling-request',
          arguments: { prompt: 'relay?' },
          inputResponses: {
            [key]: { model: 'm', role: 'assistant', content: { type: 'text', text: 'relayed answer' } },
          },
          requestState: asked.requestState,
        },
      })) as { content: unknown };
      expect(JSON.stringify(result.content)).toContain('relayed answer');
    } finally {
      await other.stop();
    }
  });

  it('refuses a retry whose state was tampered with, or sent with other arguments', async () => {
    const agent = fixture.track(
      await connectAgentHttp(fixture.get().mcpUrl, TOKEN, 'modern', { client: { capabilities: { sampling: {} } } }),
    );
    const asked = (await agent.request(
      { method: 'tools/call', params: { name: 'everything__trigger-sampling-request', arguments: { prompt: 'a' } } },
      { allowInputRequired: true },
    )) as unknown as { requestState: string; inputRequests: Record<string, unknown> };
    const retry = (state: string, prompt: string) =>
      agent
        .request({
          method: 'tools/call',
          params: {
            name: 'everything__trigger-sampling-request',
            arguments: { prompt },
            inputResponses: {},
            requestState: state,
          },
        })
        .then(
          () => 'accepted',
          (e: { message: string }) => e.message,
        );
    expect(await retry(`${asked.requestState}x`, 'a')).toContain('Invalid or expired requestState');
    expect(await retry(asked.requestState, 'b')).toContain('with other arguments');
    // Answered after all: a held call left open would keep its upstream from asking anyone else.
    const key = Object.keys(asked.inputRequests)[0]!;
    const done = await agent.request({
      method: 'tools/call',
      params: {
        name: 'everything__trigger-sampling-request',
        arguments: { prompt: 'a' },
        inputResponses: { [key]: { model: 'm', role: 'assistant', content: { type: 'text', text: 'finally' } } },
        requestState: asked.requestState,
      },
    });
    expect(JSON.stringify(done)).toContain('finally');
  });

  it('gives a held call up when the policy denies its retry: the round is gone afterwards', async () => {
    const agent = fixture.track(
      await connectAgentHttp(fixture.get().mcpUrl, TOKEN, 'modern', { client: { capabilities: { sampling: {} } } }),
    );
    const call = { name: 'everything__trigger-sampling-request', arguments: { prompt: 'deny me' } };
    const asked = (await agent.request(
      { method: 'tools/call', params: call },
      { allowInputRequired: true },
    )) as unknown as { inputRequests: Record<string, unknown>; requestState: string };
    const key = Object.keys(asked.inputRequests)[0]!;
    const retry = () =>
      agent.request({
        method: 'tools/call',
        params: {
          ...call,
          inputResponses: { [key]: { model: 'm', role: 'assistant', content: { type: 'text', text: 'late' } } },
          requestState: asked.requestState,
        },
      });
    const denying = {
      ...policy,
      servers: { everything: { tools: { 'trigger-sampling-request': { action: 'deny' } } } },
    };
    const status = async () =>
      (
        (await agent.request({ method: 'tools/call', params: call }, { allowInputRequired: true })) as {
          structuredContent?: { status?: string };
        }
      ).structuredContent?.status ?? 'asked';
    writeJson(policyFile, denying);
    try {
      await waitFor(async () => (await status()) === 'denied', 10_000, 'the deny to load');
      const denied = (await retry()) as { structuredContent?: { status?: string } };
      expect(denied.structuredContent?.status).toBe('denied');
    } finally {
      writeJson(policyFile, policy);
    }
    await waitFor(async () => (await status()) === 'asked', 10_000, 'the allow to load again');
    const again = await retry().then(
      (r) => JSON.stringify(r),
      (e: { message: string }) => e.message,
    );
    expect(again).toContain('has ended');
  });
});

describe('definitions pass through untouched', () => {
  let agent: Client;
  let direct: Client;
  const NOTE = '[Requires human approval] ';

  beforeAll(async () => {
    agent = fixture.track(await connectAgentHttp(fixture.get().mcpUrl, TOKEN, 'legacy'));
    // The upstream as Airlock's own client sees it (the same capabilities, so the same tool list).
    direct = fixture.track(
      new Client(
        { name: 'direct', version: '1' },
        { capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} } },
      ),
    );
    await direct.connect(
      new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }),
    );
  });

  it('tools keep every field (title, annotations, execution, input and output schemas); only names and the approval note differ', async () => {
    const upstream = (await direct.listTools()).tools;
    const through = new Map((await agent.listTools()).tools.map((t) => [t.name, t]));
    expect(upstream.length).toBeGreaterThan(10);
    for (const tool of upstream) {
      const seen = through.get(`everything__${tool.name}`);
      expect(seen, tool.name).toBeDefined();
      const held = tool.name === 'get-structured-content';
      expect(seen!.description).toBe(held ? NOTE + tool.description : tool.description);
      expect({ ...seen, name: tool.name, description: tool.description }).toEqual(tool);
    }
  });

  it("prompts, resources and templates are the upstream's, with names and URIs mapped by the rule", async () => {
    const prompts = (await direct.listPrompts()).prompts;
    const throughPrompts = (await agent.listPrompts()).prompts.filter((p) => p.name.startsWith('everything__'));
    expect(throughPrompts).toEqual(prompts.map((p) => ({ ...p, name: `everything__${p.name}` })));
    const resources = (await direct.listResources()).resources;
    const throughResources = (await agent.listResources()).resources.filter((r) =>
      r.uri.startsWith('airlock://everything/'),
    );
    expect(throughResources).toEqual(resources.map((r) => ({ ...r, uri: `airlock://everything/${r.uri}` })));
  });

  it('a held call of a tool with an output schema answers pending as an error result, which the SDK client accepts', async () => {
    const result = await agent.callTool({
      name: 'everything__get-structured-content',
      arguments: { location: 'New York' },
    });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ status: 'pending' });
  });
});
