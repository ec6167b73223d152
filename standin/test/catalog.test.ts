import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import payload from '../src/mlflow-mcp.tools.json' with { type: 'json' };
import {
  callTool,
  onlyText,
  startHttpStandin,
  startStdioStandin,
  type HttpStandinProcess,
  type StandinConnection,
} from './helpers.js';

const transports: [string, () => Promise<StandinConnection>][] = [
  ['stdio', () => startStdioStandin()],
  ['http', () => startHttpStandin()],
];

describe.each(transports)('mlflow-standin catalog over %s', (_name, start) => {
  let standin: StandinConnection;

  beforeAll(async () => {
    standin = await start();
  });
  afterAll(async () => {
    if ('stop' in standin) {
      // SIGTERM must end the HTTP server cleanly.
      expect(await (standin as HttpStandinProcess).stop()).toBe(0);
    } else {
      await standin.close();
    }
  });

  it('introduces itself as the FastMCP server "mlflow" with the upstream instructions', () => {
    expect(standin.client.getServerVersion()).toEqual({ name: 'mlflow', version: '1.29.0' });
    expect(standin.client.getInstructions()).toBe(payload.instructions);
    expect(standin.client.getServerCapabilities()).toEqual({
      experimental: {},
      prompts: { listChanged: false },
      resources: { subscribe: false, listChanged: false },
      tools: { listChanged: false },
    });
  });

  it('lists exactly the 40 tools of the JSON payload, in order', async () => {
    const { tools } = await standin.client.listTools();
    expect(tools).toEqual(payload.tools);
    expect(tools).toHaveLength(40);
  });

  it('lists exactly the 4 prompts of the JSON payload', async () => {
    const { prompts } = await standin.client.listPrompts();
    expect(prompts).toEqual(payload.prompts);
  });

  it('has no resources', async () => {
    expect((await standin.client.listResources()).resources).toEqual([]);
    expect((await standin.client.listResourceTemplates()).resourceTemplates).toEqual([]);
  });

  it('renders a prompt as one user text message with the prompt description', async () => {
    const result = await standin.client.getPrompt({
      name: 'find_best_run',
      arguments: { experiment_id: '1', metric: 'test/f1' },
    });
    expect(result.description).toBe(payload.prompts.find((p) => p.name === 'find_best_run')?.description);
    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]?.role).toBe('user');
    expect(result.messages[0]?.content).toMatchObject({
      type: 'text',
      text: expect.stringContaining('experiment 1 by test/f1'),
    });
  });

  it('answers prompt errors as JSON-RPC errors with code 0, like the Python SDK', async () => {
    await expect(standin.client.getPrompt({ name: 'nope' })).rejects.toMatchObject({
      code: 0,
      message: expect.stringContaining('Unknown prompt: nope'),
    });
    await expect(
      standin.client.getPrompt({ name: 'find_best_run', arguments: { experiment_id: '1' } }),
    ).rejects.toMatchObject({
      code: 0,
      message: expect.stringContaining("Missing required arguments: {'metric'}"),
    });
    // MCP prompt arguments are strings, so the list[str] parameter always fails validation upstream.
    const error = await standin.client
      .getPrompt({ name: 'compare_runs_by_ids', arguments: { experiment_id: '1', run_ids: 'a,b' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).message).toContain(
      "Error rendering prompt compare_runs_by_ids: 1 validation error for compare_runs_by_ids\nrun_ids\n  Input should be a valid list [type=list_type, input_value='a,b', input_type=str]",
    );
    expect((error as McpError).code).not.toBe(ErrorCode.InternalError);
  });

  it('serves tool calls', async () => {
    const result = await callTool(standin.client, 'health');
    expect(JSON.parse(onlyText(result))).toMatchObject({ status: 'healthy' });
  });
});
