import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, connectStdio, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { writeGatewayConfig } from '../helpers/config.js';

const TOKEN = 'token-for-laptop-grant-0001';
const CI_TOKEN = 'token-for-ci-grant-00000002';
const dir = tempDir();
const callLog = join(dir, 'calls.jsonl');

const policy = {
  version: '1',
  default: 'deny',
  tools: {
    'get_*': {},
    health: {},
    register_model: { deny_if: [{ path: 'args.model_name', op: 'regex', value: '^prod-' }] },
    set_registered_model_tag: { require: [{ path: 'args.key', op: 'in', value: ['team', 'owner'] }] },
    'delete_*': { action: 'deny', reason: 'Destructive: ask a human to do it in the MLflow UI' },
  },
  servers: { fixture: { tools: { echo: {} } } },
  // Prompts follow `default` too (deny here): the prompt tests below need them allowed.
  prompts: { '*': {} },
};
const ciPolicy = { version: '1', default: 'deny', tools: { health: {} } };

let gateway: GatewayProcess;
let laptop: Client;
let direct: Client;
let configFile: string;

const call = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema);

beforeAll(async () => {
  writeFileSync(callLog, '');
  configFile = writeGatewayConfig(dir, {
    upstreams: { mlflow: upstreams.standin(), fixture: upstreams.fixture(callLog) },
    policy: writeJson(join(dir, 'policy.json'), policy),
    grants: [
      { name: 'laptop', token: TOKEN },
      { name: 'ci', token: CI_TOKEN, policy: writeJson(join(dir, 'ci.json'), ciPolicy) },
    ],
  });
  gateway = await startGateway({ config: configFile });
  laptop = await connectHttp(gateway.mcpUrl, TOKEN);
  direct = new Client({ name: 'direct', version: '1' });
  await direct.connect(
    new StdioClientTransport({ command: process.execPath, args: [CLI, 'mlflow-standin'], stderr: 'pipe' }),
  );
});

afterAll(async () => {
  await Promise.all([laptop?.close(), direct?.close()]);
  await gateway?.stop();
});

describe('two upstreams at once', () => {
  it('prefixes every tool with its upstream name so names never collide', async () => {
    const names = (await laptop.listTools()).tools.map((t) => t.name);
    expect(names).toContain('mlflow__get_experiments');
    expect(names).toContain('fixture__echo');
    expect(names.every((n) => n.startsWith('mlflow__') || n.startsWith('fixture__'))).toBe(true);
  });

  it('routes each call to its own upstream', async () => {
    expect(await call(laptop, 'fixture__echo', { text: 'hi' })).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    const health = await call(laptop, 'mlflow__health');
    expect(health.isError).toBeFalsy();
  });

  it('applies a servers.<name> section only to that upstream', async () => {
    const names = (await laptop.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('fixture__slow');
    expect(names).toContain('fixture__echo');
  });
});

describe('policy through the gateway', () => {
  it("returns exactly the stand-in's result for an allowed call", async () => {
    const through = await call(laptop, 'mlflow__get_registered_models');
    const straight = await call(direct, 'get_registered_models');
    expect(through).toEqual(straight);
    const run = await call(laptop, 'mlflow__get_experiment_by_name', { name: 'does-not-exist' });
    expect(run).toEqual(await call(direct, 'get_experiment_by_name', { name: 'does-not-exist' }));
  });

  it('default-denies a tool no rule lists, naming /default', async () => {
    const result = await call(laptop, 'mlflow__copy_model_version', {
      src_model_name: 'a',
      src_version: '1',
      dst_model_name: 'b',
    });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ status: 'denied', rule: '/default' });
  });

  it('denies a listed deny rule with its reason', async () => {
    const result = await call(laptop, 'mlflow__delete_registered_model', { name: 'fraud-detector-dev' });
    expect(result.structuredContent).toEqual({
      status: 'denied',
      rule: '/tools/delete_*',
      reason: 'Destructive: ask a human to do it in the MLflow UI',
    });
  });

  it('checks argument conditions: deny_if and require', async () => {
    const prod = await call(laptop, 'mlflow__register_model', { model_name: 'prod-model', model_uri: 'runs:/x/model' });
    expect(prod.structuredContent).toMatchObject({ status: 'denied', rule: '/tools/register_model/deny_if/0' });
    const badKey = await call(laptop, 'mlflow__set_registered_model_tag', {
      name: 'fraud-detector-dev',
      key: 'colour',
      value: 'red',
    });
    expect(badKey.structuredContent).toMatchObject({
      status: 'denied',
      rule: '/tools/set_registered_model_tag/require/0',
    });
    const goodKey = await call(laptop, 'mlflow__set_registered_model_tag', {
      name: 'fraud-detector-dev',
      key: 'team',
      value: 'risk',
    });
    expect(goodKey.isError).toBeFalsy();
  });

  it('gives a grant its own policy file', async () => {
    const ci = await connectHttp(gateway.mcpUrl, CI_TOKEN);
    try {
      expect((await ci.listTools()).tools.map((t) => t.name)).toEqual(['mlflow__health']);
      const denied = await call(ci, 'mlflow__get_experiments');
      expect(denied.structuredContent).toMatchObject({ status: 'denied', rule: '/default' });
    } finally {
      await ci.close();
    }
  });
});

describe('prompts', () => {
  it("passes the upstreams' prompts through under the same naming rule as tools", async () => {
    const through = (await laptop.listPrompts()).prompts;
    const straight = (await direct.listPrompts()).prompts;
    expect(through).toEqual(straight.map((p) => ({ ...p, name: `mlflow__${p.name}` })));
    const args = { experiment_id: '1', metric: 'test/f1' };
    expect(await laptop.getPrompt({ name: 'mlflow__find_best_run', arguments: args })).toEqual(
      await direct.getPrompt({ name: 'find_best_run', arguments: args }),
    );
    await expect(laptop.getPrompt({ name: 'mlflow__no_such_prompt' })).rejects.toThrow(
      /Unknown prompt: mlflow__no_such_prompt/,
    );
  });
});

describe('stdio agent side', () => {
  it('serves the configured grant over stdio with nothing but protocol on stdout', async () => {
    const { client, stderr } = await connectStdio(configFile, ['--grant', 'laptop']);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('mlflow__get_experiments');
      const result = await call(client, 'mlflow__delete_run', { run_id: 'x' });
      expect(result.structuredContent).toMatchObject({ status: 'denied' });
      expect(stderr()).not.toContain(TOKEN);
    } finally {
      await client.close();
    }
  });

  it('refuses to start stdio without a grant choice when there are several, and says how to choose', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--stdio', '--config', configFile], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('pass --grant <name> or set "stdio_grant" (grants: laptop, ci)');
  });
});

describe('an invalid policy file at start', () => {
  it('stops the gateway with the file, the JSON path and what was expected', async () => {
    const bad = writeJson(join(dir, 'bad-policy.json'), {
      version: '1',
      default: 'deny',
      tools: { 'get_*': { action: 'allow', limits: [{ counter: 'c', window: 'fortnight', max: 3 }] } },
    });
    const config = writeJson(join(dir, 'bad.config.json'), {
      upstreams: { mlflow: upstreams.standin() },
      policy: bad,
      grants: [{ name: 'x', token: 'token-for-bad-policy-0001' }],
    });
    const run = spawnSync(process.execPath, [CLI, 'serve', '--config', config, '--port', '0'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${bad}: /tools/get_*/limits/0/window: expected "second", "minute", "hour", "day"`);
  });
});
