import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgentHttp, connectAgentStdio, type AgentEra } from '../helpers/agents.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway.js';
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

let gateway: GatewayProcess;
const clients: Client[] = [];

beforeAll(async () => {
  gateway = await startGateway({ config: configFile });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await gateway?.stop();
});

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
    const client = await connectAgentHttp(gateway.mcpUrl, TOKEN, mode);
    clients.push(client);
    expect(client.getProtocolEra()).toBe(landed);
    await expectPolicyApplied(client);
  });

  it('reaches a 2025-era upstream in its era, probed once per connect and named in /readyz', async () => {
    const ready = (await (await fetch(`${gateway.baseUrl}/readyz`)).json()) as {
      upstreams: Record<string, { state: string; era?: string }>;
    };
    expect(ready.upstreams['mlflow']).toMatchObject({ state: 'ready', era: 'legacy' });
  });

  it('refuses a 2026-era request without a valid token', async () => {
    await expect(connectAgentHttp(gateway.mcpUrl, 'not-a-grant-token', 'modern')).rejects.toThrow(/401|Unauthorized/);
  });

  it.each<[AgentEra, string]>([
    ['legacy', 'legacy'],
    ['auto', 'modern'],
  ])('over stdio, a client negotiating %s lands on the %s era', async (mode, landed) => {
    const { client } = await connectAgentStdio(configFile, mode);
    clients.push(client);
    expect(client.getProtocolEra()).toBe(landed);
    await expectPolicyApplied(client);
  });
});
