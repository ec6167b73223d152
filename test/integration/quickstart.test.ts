import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersPing } from '../../src/redis/index.js';
import { connectHttp, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, tempDir } from '../helpers/paths.js';

/** `npm start` with no config: the embedded default, run from an empty directory. */
describe('the embedded default', () => {
  const cwd = tempDir('airlock-quickstart-');
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGateway({ cwd });
  });

  const socket = () => join(gateway.dataDir, 'redis', 'redis.sock');

  afterAll(async () => {
    await gateway?.stop();
  });

  it('prints the MCP URL, a demo token and ready-to-paste client configuration', () => {
    const out = gateway.stdout();
    expect(out).toMatch(/Airlock is serving MCP at http:\/\/127\.0\.0\.1:\d+\/mcp/);
    expect(out).toMatch(/Grant "demo" token: airlock_demo_\S+/);
    expect(out).toContain('claude mcp add --transport http airlock');
    expect(out).toContain('.cursor/mcp.json');
    expect(out).toContain('claude_desktop_config.json');
  });

  it('starts its own redis-server in the data directory and serves the stand-in through the seed policy', async () => {
    expect(await answersPing(socket())).toBe(true);
    const token = /Grant "demo" token: (\S+)/.exec(gateway.stdout())![1]!;
    const agent = await connectHttp(gateway.mcpUrl, token);
    try {
      const names = (await agent.listTools()).tools.map((t) => t.name);
      expect(names).toContain('get_experiments');
      expect(names).not.toContain('delete_registered_model');
      const copy = (await agent.listTools()).tools.find((t) => t.name === 'copy_model_version');
      expect(copy?.description).toMatch(/^\[Requires human approval\]/);
      const experiments = await agent.request(
        { method: 'tools/call', params: { name: 'get_experiments', arguments: {} } },
        CallToolResultSchema,
      );
      expect(experiments.isError).toBeFalsy();
      expect(JSON.stringify(experiments.structuredContent)).toContain('fraud-detection');
      const deleted = await agent.request(
        { method: 'tools/call', params: { name: 'delete_run', arguments: { run_id: 'x' } } },
        CallToolResultSchema,
      );
      expect(deleted.structuredContent).toMatchObject({ status: 'denied', rule: '/tools/delete_*' });
    } finally {
      await agent.close();
    }
  });

  it('stops the redis-server it started when it exits, and leaves the working directory alone', async () => {
    await gateway.stop();
    expect(await answersPing(socket())).toBe(false);
    expect(existsSync(join(gateway.dataDir, 'demo-token'))).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('airlock check', () => {
  it('prints each stand-in tool with its risk class, its effective decision and the rule that matched', () => {
    const run = spawnSync(process.execPath, [CLI, 'check', 'policies/mlflow.json'], {
      encoding: 'utf8',
      cwd: join(CLI, '..', '..'),
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/policies\/mlflow\.json: valid \(default deny\)/);
    expect(run.stdout).toMatch(
      /mlflow\s+copy_model_version\s+write\/medium\s+require_approval\s+.*copy_model_version_rate 30\/minute per grant.*\/tools\/copy_model_version/,
    );
    expect(run.stdout).toMatch(/mlflow\s+delete_run\s+destructive\/high\s+deny\s+.*\/tools\/delete_\*: Destructive/);
    expect(run.stdout).toMatch(/mlflow\s+get_experiments\s+read\/low\s+allow\s/);
    expect(run.stdout.match(/^mlflow\s/gm)).toHaveLength(40);
  });

  it('exits non-zero naming the file, the JSON path and what was expected', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ version: '1', default: 'deny', tools: { x: { action: 'maybe' } } }));
    const run = spawnSync(process.execPath, [CLI, 'check', file], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `${file}: /tools/x/action: expected one of allow, deny, require_approval, got "maybe"`,
    );
  });

  it('warns about rules that match no upstream tool', () => {
    const dir = tempDir();
    const file = join(dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ version: '1', default: 'deny', tools: { get_experimnts: {} } }));
    const run = spawnSync(process.execPath, [CLI, 'check', file], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('warning: rule /tools/get_experimnts matches no tool of the configured upstreams');
  });
});
