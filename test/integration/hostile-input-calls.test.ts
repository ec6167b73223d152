import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { callTool } from '../helpers/processes.js';
import { writeGatewayConfig } from '../helpers/config.js';

const TOKEN = 'hostile-calls-token-000000001';
const dir = tempDir();
const callLog = join(dir, 'calls.jsonl');
let gateway: GatewayProcess;
let agent: Client;

beforeAll(async () => {
  writeFileSync(callLog, '');
  const config = writeGatewayConfig(dir, {
    upstreams: { fixture: upstreams.fixture(callLog) },
    policy: writeJson(join(dir, 'policy.json'), { version: '1', default: 'allow' }),
    grants: [{ name: 'agent', token: TOKEN }],
  });
  gateway = await startGateway({ config });
  agent = await connectHttp(gateway.mcpUrl, TOKEN);
});

afterAll(async () => {
  await agent?.close();
  await gateway?.stop();
});

const auditEvents = () =>
  readFileSync(gateway.auditFile!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; tool: string; call_id: string; outcome?: string });

/**
 * A tools/call whose arguments nest `depth` objects deep, posted as raw JSON on the agent's
 * session (an SDK client cannot even serialise such a value); the JSON-RPC answer.
 */
async function postDeepCall(depth: number): Promise<{ error?: { code: number; message: string }; result?: unknown }> {
  const args = `{"text":"x","deep":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
  const body = `{"jsonrpc":"2.0","id":"deep-1","method":"tools/call","params":{"name":"echo","arguments":${args}}}`;
  const sessionId = (agent.transport as { sessionId?: string } | undefined)?.sessionId;
  const response = await fetch(gateway.mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId!,
      'mcp-protocol-version': '2025-11-25',
    },
    body,
  });
  const text = await response.text();
  const data = text.split('\n').find((line) => line.startsWith('data: '));
  return JSON.parse(data === undefined ? text : data.slice('data: '.length)) as {
    error?: { code: number; message: string };
  };
}

describe('hostile and odd calls', () => {
  it('answers arguments nested deeper than the bound with a clear InvalidParams, and never forwards them', async () => {
    const answer = await postDeepCall(100_000);
    expect(answer.error).toEqual({
      code: -32602,
      message: "Invalid arguments for echo: nested deeper than 64 levels (Airlock's limit); the call was not run",
    });
    expect(auditEvents().some((e) => e.tool === 'echo' && e.type === 'call.forwarded')).toBe(false);
    expect(readFileSync(callLog, 'utf8')).not.toContain('"tool":"echo"');
    // The gateway is fine afterwards.
    expect((await callTool(agent, 'echo', { text: 'still here' })).isError).toBeFalsy();
  });

  it('says "MCP error -32602" once in an unknown-tool error, and passes an upstream error message through as sent', async () => {
    const unknown = (await callTool(agent, 'no_such_tool', {}).catch((e: unknown) => e)) as McpError;
    expect(unknown.message).toBe('MCP error -32602: Unknown tool: no_such_tool');
    // The fixture (an SDK server throwing McpError) itself sends "MCP error -32602: fixture rejects…";
    // the agent's SDK prefixes that once. Airlock adds nothing: no third prefix.
    const upstream = (await callTool(agent, 'protocol_error', {}).catch((e: unknown) => e)) as McpError;
    expect(upstream.message).toBe('MCP error -32602: MCP error -32602: fixture rejects these params');
    expect(upstream.data).toEqual({ hint: 'data passes through' });
  });

  it('audits a call the agent cancelled as cancelled, not failure', async () => {
    const controller = new AbortController();
    const call = agent.request(
      { method: 'tools/call', params: { name: 'slow', arguments: { ms: 5_000, steps: 5 } } },
      CallToolResultSchema,
      {
        signal: controller.signal,
        onprogress: () => controller.abort(),
      },
    );
    await expect(call).rejects.toThrow();
    let outcome: string | undefined;
    await waitFor(
      () =>
        (outcome = auditEvents().find((e) => e.tool === 'slow' && e.type === 'call.outcome')?.outcome) !== undefined,
      10_000,
      'the outcome event of the cancelled call',
    );
    expect(outcome).toBe('cancelled');
  });
});

describe('/readyz with audit.fail_mode "open" and no writable audit file', () => {
  it('stays ready and says calls go on without the file, not that they are refused', async () => {
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, '');
    const config = writeGatewayConfig(
      dir,
      {
        upstreams: { fixture: upstreams.fixture(callLog) },
        policy: join(dir, 'policy.json'),
        grants: [{ name: 'agent', token: TOKEN }],
        audit: { dir: join(blocker, 'audit'), fail_mode: 'open' },
      },
      { name: 'airlock.open' },
    );
    const open = await startGateway({ config, auditFile: null });
    try {
      const ready = await fetch(`${open.baseUrl}/readyz`);
      const body = (await ready.json()) as { status: string; reasons: string[]; warnings: string[] };
      expect(ready.status).toBe(200);
      expect(body.status).toBe('ready');
      expect(body.warnings.join(' ')).toMatch(
        /cannot be written .*calls go on without it, recorded in the Redis stream only \(audit\.fail_mode is "open"\)/u,
      );
      expect(JSON.stringify(body)).not.toContain('refused');
    } finally {
      await open.stop();
    }
  });
});
