import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectHttp, startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { callTool } from '../helpers/processes.js';
import { writeGatewayConfig } from '../helpers/config.js';

const FIXTURE_TOOLS = ['echo', 'slow', 'crash', 'add_tool', 'fail', 'protocol_error', 'delete_thing', 'structured'];
const TOKEN = 'collision-test-token-000000001';
const dir = tempDir();
const logs = { a: join(dir, 'a.jsonl'), b: join(dir, 'b.jsonl') };
for (const log of Object.values(logs)) writeFileSync(log, '');

// A permissive section for "a", an approval rule for "b": which upstream serves `echo` decides which applies.
const policy = writeJson(join(dir, 'policy.json'), {
  version: '1',
  default: 'allow',
  servers: {
    a: { tools: { echo: {} } },
    b: { tools: { echo: { action: 'require_approval', approval: { approvers: ['U0APPROVER'] } } } },
  },
});
const config = (extra: Record<string, unknown>) =>
  writeGatewayConfig(
    dir,
    {
      upstreams: { a: { ...upstreams.fixture(logs.a), prefix: '' }, b: { ...upstreams.fixture(logs.b), prefix: '' } },
      policy,
      grants: [{ name: 'agent', token: TOKEN }],
      ...extra,
    },
    { name: `airlock-${Math.random().toString(36).slice(2)}` },
  );

const gateways: GatewayProcess[] = [];
afterAll(async () => {
  for (const g of gateways) await g.stop();
});

describe('tool names two upstreams share', () => {
  it('refuse to start, naming the tool and both upstreams and how to fix it', () => {
    const run = spawnSync(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--config', config({}), '--data-dir', tempDir()],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'the tool name "echo" is offered by upstreams "a" and "b", so it is served by neither',
    );
    expect(run.stderr).toContain('"tool_owners": {"echo": "a"}');
  });

  it('go to the upstream tool_owners assigns them to', async () => {
    const owners = Object.fromEntries(FIXTURE_TOOLS.map((t) => [t, t === 'echo' ? 'b' : 'a']));
    const gateway = await startGateway({ config: config({ tool_owners: owners }) });
    gateways.push(gateway);
    const agent = await connectHttp(gateway.mcpUrl, TOKEN);
    const echo = (await agent.listTools()).tools.find((t) => t.name === 'echo');
    expect(echo?.description).toMatch(/^\[Requires human approval\]/u);
    await callTool(agent, 'fail', {});
    expect(readFileSync(logs.a, 'utf8')).toContain('"tool":"fail"');
    expect(readFileSync(logs.b, 'utf8')).not.toContain('"tool":"fail"');
    await agent.close();
  });

  it('that appear at run time are withheld from agents and named by /readyz', async () => {
    const gateway = await startGateway({
      config: config({
        upstreams: { mlflow: { ...upstreams.standin(), prefix: '' }, a: { ...upstreams.fixture(logs.a), prefix: '' } },
      }),
    });
    gateways.push(gateway);
    const agent = await connectHttp(gateway.mcpUrl, TOKEN);
    expect((await agent.listTools()).tools.map((t) => t.name)).toContain('get_experiments');
    await callTool(agent, 'add_tool', { name: 'get_experiments' });
    await waitFor(
      async () => !(await agent.listTools()).tools.some((t) => t.name === 'get_experiments'),
      10_000,
      'the shared name to be withheld',
    );
    await expect(callTool(agent, 'get_experiments', {})).rejects.toThrow(/Unknown tool: get_experiments/u);
    const ready = await fetch(`${gateway.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain(
      'the tool name \\"get_experiments\\" is offered by upstreams \\"mlflow\\" and \\"a\\"',
    );
    await agent.close();
  });
});
