import { request } from 'node:http';
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { connectAgentHttp, connectAgentStdio, type AgentEra } from '../helpers/agents.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { gatewayForFile } from '../helpers/gateway.js';
import { tempDir, upstreams, writeJson } from '../helpers/paths.js';

const TOKEN = 'eras-agent-token-0123456789';
const dir = tempDir();
const policy = {
  version: '1',
  default: 'deny',
  tools: {
    get_registered_models: {},
    delete_registered_model: { action: 'deny', reason: 'Destructive: ask a human' },
  },
};
const configFile = writeGatewayConfig(dir, {
  upstreams: { mlflow: upstreams.standin() },
  policy: writeJson(`${dir}/policy.json`, policy),
  grants: [{ name: 'agent', token: TOKEN }],
});

const fixture = gatewayForFile(configFile);

async function expectPolicyApplied(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(['get_registered_models']);
  const allowed = await client.callTool({ name: 'get_registered_models', arguments: {} });
  expect(allowed.isError).toBeFalsy();
  expect(JSON.stringify(allowed.content)).toContain('fraud-detector-dev');
  const denied = await client.callTool({ name: 'delete_registered_model', arguments: { name: 'fraud-detector-dev' } });
  expect(denied.isError).toBe(true);
  expect(denied.structuredContent).toMatchObject({ status: 'denied', reason: 'Destructive: ask a human' });
}

describe('agents of both protocol eras on one /mcp URL', () => {
  it.each<[AgentEra, string]>([
    ['legacy', 'legacy'],
    ['modern', 'modern'],
    ['auto', 'modern'],
  ])('an SDK v2 client negotiating %s lands on the %s era and gets the policy', async (mode, landed) => {
    const client = await connectAgentHttp(fixture.get().mcpUrl, TOKEN, mode);
    fixture.track(client);
    expect(client.getProtocolEra()).toBe(landed);
    await expectPolicyApplied(client);
  });

  it('reaches a 2025-era upstream in its era, probed once per connect and named in /readyz', async () => {
    const ready = (await (await fetch(`${fixture.get().baseUrl}/readyz`)).json()) as {
      upstreams: Record<string, { state: string; era?: string }>;
    };
    expect(ready.upstreams['mlflow']).toMatchObject({ state: 'ready', era: 'legacy' });
  });

  it('refuses a forged Host and a foreign browser Origin even with a valid token (DNS rebinding)', async () => {
    const post = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(fixture.get().mcpUrl);
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }));
      });
    const auth = {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const forgedHost = await post({ ...auth, host: 'attacker.example:8787' });
    expect(forgedHost.status).toBe(403);
    expect(forgedHost.body).toContain('Host header must name a loopback address');
    const foreignOrigin = await post({ ...auth, origin: 'http://attacker.example' });
    expect(foreignOrigin.status).toBe(403);
    expect(foreignOrigin.body).toContain('Origin http://attacker.example is not allowed');
    // A loopback page (a local tool's UI) is not refused for its Origin.
    const localOrigin = await post({ ...auth, origin: 'http://localhost:5173' });
    expect(localOrigin.status).not.toBe(403);
  });

  it('refuses a 2026-era request without a valid token', async () => {
    await expect(connectAgentHttp(fixture.get().mcpUrl, 'not-a-grant-token', 'modern')).rejects.toThrow(
      /401|Unauthorized/,
    );
  });

  it.each<[AgentEra, string]>([
    ['legacy', 'legacy'],
    ['auto', 'modern'],
  ])('over stdio, a client negotiating %s lands on the %s era', async (mode, landed) => {
    const { client } = await connectAgentStdio(configFile, mode);
    fixture.track(client);
    expect(client.getProtocolEra()).toBe(landed);
    await expectPolicyApplied(client);
  });
});
