import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCommand } from '../../src/cli/audit-command.js';
import { limitsCommand } from '../../src/cli/limits-command.js';
import { eachMaster, type RedisClient } from '../../src/redis/index.js';
import { randomPrefix } from '../helpers/approvals.js';
import { runCommand } from '../helpers/capture-stdout.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { connectHttp, startGateway, stopProcess, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { deleteKeys, targetClient } from '../helpers/limits.js';
import { CLI, ROOT, tempDir, upstreams } from '../helpers/paths.js';
import { testRedis } from '../helpers/test-redis.js';
import { connectAgentHttp } from '../helpers/agents.js';

/**
 * Airlock on a real three-master Redis Cluster (project "cluster" only; the limiter, approvals
 * and audit stream files run there too): `airlock serve` and the CLI with the config's `cluster`
 * form, two gateway processes sharing one limit, `limits show|reset` (SCAN on every master),
 * `audit tail` from the stream (XREVRANGE, then XREAD BLOCK), and every key of the deployment in
 * the one slot of its hash tag.
 */
const target = testRedis();
if (typeof target === 'string' || !('cluster' in target))
  throw new Error('redis-cluster.test.ts runs in the vitest project "cluster" only');

const TOKEN = 'cluster-agent-token-0000001';
const EVERYTHING = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const dir = tempDir();
const callLog = join(dir, 'calls.jsonl');
const prefix = randomPrefix();
let configFile: string;
let a: GatewayProcess;
let b: GatewayProcess;
let redis: RedisClient;

const call = (client: Client, text: string): Promise<CallToolResult> =>
  client.request({ method: 'tools/call', params: { name: 'echo', arguments: { text } } }, CallToolResultSchema);
const status = (r: CallToolResult) =>
  (r.structuredContent as { status?: string } | undefined)?.status ?? (r.isError ? 'error' : 'ok');
// In-process (the same code as the built CLI, without a process start each).
const limits = (...args: string[]) => runCommand(limitsCommand(), 'airlock-limits', ...args, '--config', configFile);
const audit = (...args: string[]) => runCommand(auditCommand(), 'airlock-audit', ...args, '--config', configFile);

beforeAll(async () => {
  writeFileSync(callLog, '');
  configFile = writeGatewayConfig(
    dir,
    {
      upstreams: {
        fixture: { ...upstreams.fixture(callLog), prefix: '' },
        // A 2025-era upstream that asks the agent (sampling): its rounds are relayed between processes.
        everything: { command: process.execPath, args: [EVERYTHING, 'stdio'], protocol: '2025-11-25' },
      },
      policy: {
        version: '1',
        default: 'deny',
        tools: { echo: { limits: [{ counter: 'echo_rate', window: 'minute', max: 3, scope: 'grant' }] } },
        servers: { everything: { tools: { 'trigger-sampling-request': { action: 'allow' } } } },
      },
      grants: [{ name: 'agent', token: TOKEN }],
    },
    { prefix },
  );
  redis = await targetClient(target);
  [a, b] = await Promise.all([startGateway({ config: configFile }), startGateway({ config: configFile })]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  if (redis !== undefined) {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }
});

describe('Airlock on a Redis Cluster', () => {
  it('serves from the "cluster" config form, two processes admitting exactly max calls of one limit', async () => {
    const clients = await Promise.all([connectHttp(a.mcpUrl, TOKEN), connectHttp(b.mcpUrl, TOKEN)]);
    try {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => call(clients[i % 2]!, `burst-${i}`)));
      expect(results.filter((r) => status(r) === 'ok')).toHaveLength(3);
      expect(results.filter((r) => status(r) === 'rate_limited')).toHaveLength(5);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('keeps every key of the deployment in the one slot of its hash tag, on one master', async () => {
    const perMaster = await Promise.all(eachMaster(redis).map(async (node) => (await node.keys(`${prefix}*`)).length));
    expect(perMaster).toHaveLength(3);
    expect(perMaster.filter((n) => n > 0)).toHaveLength(1);
    const keys = perMaster.reduce((sum, n) => sum + n, 0);
    expect(keys).toBeGreaterThan(2); // the limit's log and meta, the audit stream, BullMQ's queue keys…
  });

  it('shows and resets the counters from the CLI (limits show|reset)', async () => {
    expect(await limits('show')).toMatch(/^echo_rate\s+grant\s+agent\s+3\/3\s+minute\s+\d+ s$/mu);
    expect(await limits('reset', 'echo_rate')).toBe('Reset counter "echo_rate": 2 Redis keys deleted.\n');
    expect(await limits('show')).toBe('No rate-limit counters in Redis.\n');
  });

  it('tails the audit stream and follows new events (audit tail -f --source stream)', async () => {
    const tail = await audit('tail', '-n', '100', '--json', '--source', 'stream');
    const events = tail
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { grant?: string; call_id?: string });
    // Both processes' events of the 8 calls of the first test, and nothing else.
    expect(new Set(events.map((e) => e.call_id)).size).toBe(8);
    expect(events.every((e) => e.grant === 'agent')).toBe(true);

    const follow = spawn(
      process.execPath,
      [CLI, 'audit', 'tail', '-f', '-n', '1', '--source', 'stream', '-c', configFile],
      {
        cwd: ROOT,
        env: { ...process.env, AIRLOCK_LOG_LEVEL: 'silent' },
      },
    );
    let out = '';
    follow.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await waitFor(() => out.split('\n').length > 1, 10_000, 'the last event before following');
      const agent = await connectHttp(a.mcpUrl, TOKEN);
      try {
        expect(status(await call(agent, 'after-reset'))).toBe('ok');
      } finally {
        await agent.close();
      }
      await waitFor(() => /call\.outcome .* agent /u.test(out.split('\n').slice(1).join('\n')), 10_000, 'the new call');
    } finally {
      await stopProcess(follow, 'SIGINT');
    }
  });
});

describe('held-call rounds across processes on a Redis Cluster', () => {
  it("relays a 2026-era retry to the process holding the call (sharded pub/sub counts the holder's subscription)", async () => {
    const sampling = { client: { capabilities: { sampling: {} } } };
    const first = await connectAgentHttp(a.mcpUrl, TOKEN, 'modern', sampling);
    const second = await connectAgentHttp(b.mcpUrl, TOKEN, 'modern', sampling);
    try {
      const asked = (await first.request(
        { method: 'tools/call', params: { name: 'everything__trigger-sampling-request', arguments: { prompt: 'c?' } } },
        { allowInputRequired: true },
      )) as unknown as { inputRequests: Record<string, unknown>; requestState: string };
      const [key] = Object.keys(asked.inputRequests);
      const result = (await second.request({
        method: 'tools/call',
        params: {
          name: 'everything__trigger-sampling-request',
          arguments: { prompt: 'c?' },
          inputResponses: {
            [key!]: { model: 'm', role: 'assistant', content: { type: 'text', text: 'via the cluster' } },
          },
          requestState: asked.requestState,
        },
      })) as { content: unknown };
      expect(JSON.stringify(result.content)).toContain('via the cluster');
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
