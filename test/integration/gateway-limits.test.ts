import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';

const TOKEN = 'limits-grant-token-000000001';
const COMBO_TOKEN = 'limits-combo-token-00000002';
const dir = tempDir();
const callLog = join(dir, 'calls.jsonl');

const policy = {
  version: '1',
  default: 'deny',
  tools: {
    echo: { limits: [{ counter: 'echo_rate', window: '3s', max: 5, scope: 'grant' }] },
    structured: { limits: [{ counter: 'per_session', window: 'minute', max: 1, scope: 'session' }] },
    fail: {},
  },
};
const comboPolicy = {
  version: '1',
  default: 'deny',
  all_tools: { limits: [{ counter: 'combo_all', window: 'minute', max: 3, scope: 'grant' }] },
  tools: { echo: { limits: [{ counter: 'combo_echo', window: 'minute', max: 2, scope: 'grant' }] }, fail: {} },
};

let redis: TestRedis;
let a: GatewayProcess;
let b: GatewayProcess;

const call = (client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> =>
  client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema);
const upstreamCalls = (tool: string, marker: string) =>
  readFileSync(callLog, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"tool":"${tool}"`) && l.includes(marker)).length;
const status = (r: CallToolResult) =>
  (r.structuredContent as { status?: string } | undefined)?.status ?? (r.isError ? 'error' : 'ok');

beforeAll(async () => {
  writeFileSync(callLog, '');
  redis = await startTestRedis([], tempDir('airlock-limits-redis-'));
  const config = writeJson(join(dir, 'airlock.config.json'), {
    redis: { url: redis.url },
    upstreams: { fixture: upstreams.fixture(callLog) },
    policy: writeJson(join(dir, 'policy.json'), policy),
    grants: [
      { name: 'agent', token: TOKEN },
      { name: 'combo', token: COMBO_TOKEN, policy: writeJson(join(dir, 'combo.json'), comboPolicy) },
    ],
  });
  [a, b] = await Promise.all([startGateway({ config }), startGateway({ config })]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

describe('rate limits through two Airlock processes sharing one Redis', () => {
  it('admits exactly max calls of many concurrent ones, and again exactly max after the window slides', async () => {
    const clients = await Promise.all([
      connectHttp(a.mcpUrl, TOKEN),
      connectHttp(b.mcpUrl, TOKEN),
      connectHttp(a.mcpUrl, TOKEN),
      connectHttp(b.mcpUrl, TOKEN),
    ]);
    try {
      const burst = async (marker: string) => {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => call(clients[i % 4]!, 'echo', { text: `${marker}-${i}` })),
        );
        return results;
      };
      const first = await burst('round1');
      expect(first.filter((r) => status(r) === 'ok')).toHaveLength(5);
      expect(upstreamCalls('echo', 'round1')).toBe(5);
      const refused = first.find((r) => status(r) === 'rate_limited')!;
      expect(refused.isError).toBe(true);
      const details = refused.structuredContent as {
        counter: string;
        max: number;
        window: string;
        retry_after_ms: number;
      };
      expect(details).toMatchObject({ status: 'rate_limited', counter: 'echo_rate', max: 5, window: '3s' });
      expect(details.retry_after_ms).toBeGreaterThan(0);
      expect(details.retry_after_ms).toBeLessThanOrEqual(3_000);
      expect((refused.content[0] as { text: string }).text).toMatch(
        /counter "echo_rate" allows 5 calls per 3s .*Retry after \d+ s\./,
      );

      // The window slides: once the last admission of round 1 is older than 3 s, there is room for max again.
      const roundOneOver = Date.now();
      await waitFor(() => Date.now() - roundOneOver > 3_100, 5_000, 'a full window to pass');
      const second = await burst('round2');
      expect(second.filter((r) => status(r) === 'ok')).toHaveLength(5);
      expect(upstreamCalls('echo', 'round2')).toBe(5);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('combines all_tools limits with per-tool limits without partial consumption', async () => {
    const agent = await connectHttp(a.mcpUrl, COMBO_TOKEN);
    try {
      expect(status(await call(agent, 'echo', { text: 'c1' }))).toBe('ok');
      expect(status(await call(agent, 'echo', { text: 'c2' }))).toBe('ok');
      const third = await call(agent, 'echo', { text: 'c3' });
      expect(third.structuredContent).toMatchObject({ status: 'rate_limited', counter: 'combo_echo' });
      // The refused echo took nothing from combo_all: one more call still fits in it.
      expect(status(await call(agent, 'fail'))).toBe('error');
      const fourth = await call(agent, 'fail');
      expect(fourth.structuredContent).toMatchObject({ status: 'rate_limited', counter: 'combo_all', max: 3 });
    } finally {
      await agent.close();
    }
  });

  it('keeps session-scoped counters apart per session, across processes', async () => {
    const [one, two] = await Promise.all([connectHttp(a.mcpUrl, TOKEN), connectHttp(b.mcpUrl, TOKEN)]);
    try {
      expect(status(await call(one, 'structured'))).toBe('ok');
      expect(status(await call(one, 'structured'))).toBe('rate_limited');
      expect(status(await call(two, 'structured'))).toBe('ok');
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

describe('Redis outage', () => {
  it('fails rate-limited calls closed with a clear error, keeps other calls working, and recovers', async () => {
    const agent = await connectHttp(a.mcpUrl, TOKEN);
    try {
      await redis.stop();
      const started = Date.now();
      const refused = await call(agent, 'echo', { text: 'during-outage' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(refused.isError).toBe(true);
      expect(refused.structuredContent).toMatchObject({ status: 'unavailable', reason: 'limits_unavailable' });
      expect((refused.content[0] as { text: string }).text).toMatch(
        /cannot reach its counter store \(Redis\).*fails closed/,
      );
      expect(upstreamCalls('echo', 'during-outage')).toBe(0);
      expect(await call(agent, 'fail')).toMatchObject({ isError: true, content: [{ text: 'the thing failed' }] });

      redis = await startTestRedis([], redis.dir);
      await waitFor(
        async () => status(await call(agent, 'echo', { text: 'after-outage' })) === 'ok',
        15_000,
        'recovery after Redis restart',
      );
    } finally {
      await agent.close();
    }
  });
});
