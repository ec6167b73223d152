/**
 * Issue 16: /metrics scraped and parsed after real calls, /readyz following Redis down and back,
 * and the SIGTERM sequence (held calls answer `pending` and their approval survives; a dead Redis
 * cannot hold the process).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalEngine } from '../../src/approvals/index.js';
import { connectAgentHttp } from '../helpers/agents.js';
import { randomPrefix, startEngine } from '../helpers/approvals.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { tempDir, upstreams } from '../helpers/paths.js';
import { parsePrometheus, sampleValue, type Sample } from '../helpers/prometheus.js';
import { startTestRedis, removeDir, type TestRedis } from '../helpers/redis-server.js';
import { testRedis } from '../helpers/test-redis.js';

const TOKEN = 'observability-token-0123456789';
const METRICS_TOKEN = 'metrics-scraper-token-0123';
const APPROVER = 'U0APPROVER01';

const policy = {
  version: '1',
  default: 'deny',
  tools: {
    health: { action: 'allow' },
    search_experiments: {
      action: 'allow',
      limits: [{ counter: 'obs_searches', window: 'hour', max: 1, scope: 'grant' }],
    },
    delete_run: { action: 'deny', reason: 'not here' },
    copy_model_version: { action: 'require_approval', approval: { approvers: [APPROVER], timeout: '1h' } },
  },
};

const copyArgs = { src_model_name: 'fraud-detector-dev', src_version: '1', dst_model_name: 'fraud-detector-staging' };

async function scrape(gateway: GatewayProcess, token?: string): Promise<Response> {
  return fetch(
    `${gateway.baseUrl}/metrics`,
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  );
}

async function samples(gateway: GatewayProcess): Promise<Sample[]> {
  const response = await scrape(gateway, METRICS_TOKEN);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parsePrometheus(await response.text());
}

/** A copy_model_version call held for approval: the agent's answer to come, and the approval's id. */
async function holdCopy(
  agent: Client,
  engine: ApprovalEngine,
): Promise<{ held: ReturnType<Client['callTool']>; id: string }> {
  const held = agent.callTool({ name: 'copy_model_version', arguments: copyArgs });
  let id: string | undefined;
  await waitFor(
    async () => (id = (await engine.list({ state: 'pending' }))[0]?.id) !== undefined,
    10_000,
    'a pending approval',
  );
  return { held, id: id! };
}

async function readiness(gateway: GatewayProcess): Promise<{ status: number; body: { reasons: string[] } }> {
  const response = await fetch(`${gateway.baseUrl}/readyz`);
  return { status: response.status, body: (await response.json()) as { reasons: string[] } };
}

describe('/metrics after real calls', () => {
  const prefix = randomPrefix();
  let gateway: GatewayProcess;
  let agent: Client;
  let engine: ApprovalEngine;

  beforeAll(async () => {
    const dir = tempDir('airlock-metrics-');
    const config = writeGatewayConfig(
      dir,
      {
        upstreams: { mlflow: upstreams.standin() },
        policy,
        grants: [{ name: 'metrics-agent', token: TOKEN }],
        metrics: { token: METRICS_TOKEN },
      },
      { prefix },
    );
    gateway = await startGateway({ config });
    agent = await connectAgentHttp(gateway.mcpUrl, TOKEN, 'legacy');
    engine = await startEngine({ redisUrl: testRedis(), prefix, processJobs: false });
  });

  afterAll(async () => {
    await agent?.close();
    await engine?.close();
    await gateway?.stop();
  });

  it('is refused without its own token (the agent token does not open it), served with it', async () => {
    expect((await scrape(gateway)).status).toBe(401);
    expect((await scrape(gateway, TOKEN)).status).toBe(401);
    expect((await scrape(gateway, METRICS_TOKEN)).status).toBe(200);
  });

  it('counts calls by server, tool, grant and decision, outcomes, limiter rejections and upstream latency', async () => {
    const call = (name: string, args: Record<string, unknown> = {}) => agent.callTool({ name, arguments: args });
    await call('health');
    await call('health');
    expect((await call('delete_run', { run_id: 'r1' })).isError).toBe(true);
    expect((await call('search_experiments')).isError).toBeFalsy();
    expect((await call('search_experiments')).isError).toBe(true); // the limit's second call
    const s = await samples(gateway);
    const who = { server: 'mlflow', grant: 'metrics-agent' };
    expect(sampleValue(s, 'airlock_calls_total', { ...who, tool: 'health', decision: 'allow' })).toBe(2);
    expect(sampleValue(s, 'airlock_calls_total', { ...who, tool: 'delete_run', decision: 'deny' })).toBe(1);
    expect(sampleValue(s, 'airlock_calls_total', { ...who, tool: 'search_experiments', decision: 'allow' })).toBe(2);
    expect(
      sampleValue(s, 'airlock_rate_limited_total', { ...who, tool: 'search_experiments', counter: 'obs_searches' }),
    ).toBe(1);
    expect(sampleValue(s, 'airlock_call_outcomes_total', { ...who, tool: 'health', outcome: 'ok' })).toBe(2);
    const latency = { server: 'mlflow', tool: 'health', outcome: 'ok' };
    expect(sampleValue(s, 'airlock_upstream_request_duration_seconds_count', latency)).toBe(2);
    expect(sampleValue(s, 'airlock_upstream_request_duration_seconds_sum', latency)).toBeGreaterThan(0);
    // The denied and the limited call never reached the upstream.
    expect(sampleValue(s, 'airlock_upstream_request_duration_seconds_count', { tool: 'delete_run' })).toBeUndefined();
    expect(sampleValue(s, 'airlock_upstream_request_duration_seconds_count', { tool: 'search_experiments' })).toBe(1);
    expect(sampleValue(s, 'airlock_audit_write_duration_seconds_count')).toBeGreaterThan(0);
    expect(sampleValue(s, 'airlock_audit_write_failures_total')).toBe(0);
    expect(sampleValue(s, 'airlock_upstream_up', { server: 'mlflow' })).toBe(1);
    expect(sampleValue(s, 'airlock_sessions')).toBe(1);
    expect(sampleValue(s, 'airlock_redis_errors_total', { client: 'request' })).toBeUndefined();
    // Process metrics (prom-client's defaults).
    expect(sampleValue(s, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(s, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('shows a held call as pending and held, then its wait in the histogram once approved', async () => {
    const { held, id } = await holdCopy(agent, engine);
    const during = await samples(gateway);
    expect(sampleValue(during, 'airlock_approvals_pending', { grant: 'metrics-agent' })).toBe(1);
    expect(sampleValue(during, 'airlock_held_calls')).toBe(1);
    expect(sampleValue(during, 'airlock_approvals_requested_total', { tool: 'copy_model_version' })).toBe(1);
    expect(sampleValue(during, 'airlock_approval_wait_seconds_count', { decision: 'approved' })).toBeUndefined();
    await engine.decide(id, 'approve', APPROVER);
    expect((await held).isError).toBeFalsy();
    let after: Sample[] = [];
    await waitFor(
      async () =>
        sampleValue((after = await samples(gateway)), 'airlock_approval_wait_seconds_count', {
          decision: 'approved',
        }) === 1,
      10_000,
      'the approval wait to be observed',
    );
    expect(sampleValue(after, 'airlock_approvals_pending', { grant: 'metrics-agent' })).toBe(0);
    expect(sampleValue(after, 'airlock_held_calls')).toBe(0);
    expect(
      sampleValue(after, 'airlock_calls_total', { tool: 'copy_model_version', decision: 'require_approval' }),
    ).toBe(1);
  });
});

describe('SIGTERM with a call in flight to the upstream', () => {
  it('stops taking connections, lets the forwarded call finish within shutdown.grace, then exits 0', async () => {
    const dir = tempDir('airlock-grace-');
    const callLog = join(dir, 'calls.jsonl');
    writeFileSync(callLog, '');
    const config = writeGatewayConfig(dir, {
      upstreams: { fixture: upstreams.fixture(callLog) },
      policy: { version: '1', default: 'allow' },
      grants: [{ name: 'grace-agent', token: TOKEN }],
      shutdown: { grace: '20s' },
    });
    const gateway = await startGateway({ config });
    const agent = await connectAgentHttp(gateway.mcpUrl, TOKEN, 'legacy');
    try {
      const slow = agent.callTool({ name: 'slow', arguments: { ms: 1_500 } });
      await waitFor(
        () => readFileSync(gateway.auditFile!, 'utf8').includes('"call.forwarded"'),
        10_000,
        'the call upstream',
      );
      const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', resolve));
      gateway.child.kill('SIGTERM');
      await waitFor(() => gateway.stderr().includes('"shutting down"'), 5_000, 'the shutdown to begin');
      // No new sessions: the listener no longer accepts connections (or, on one kept alive, answers 503).
      const newcomer = await fetch(gateway.mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'late', version: '1' } },
        }),
      }).then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(newcomer);
      // The call already sent upstream answers with the upstream's real result.
      const result = await slow;
      expect(result.isError).toBeFalsy();
      expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
      expect(await exited).toBe(0);
    } finally {
      await agent.close().catch(() => {});
      await gateway.stop();
    }
  });
});

describe('/readyz and SIGTERM on a Redis of its own', () => {
  let redis: TestRedis;
  let gateway: GatewayProcess;
  let config: string;
  const prefix = randomPrefix();
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
    config = writeGatewayConfig(
      tempDir('airlock-ready-'),
      {
        redis: { url: `unix://${redis.socketPath}`, prefix },
        upstreams: { mlflow: upstreams.standin() },
        policy,
        grants: [{ name: 'ready-agent', token: TOKEN }],
      },
      { prefix },
    );
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await redis.stop().catch(() => {});
    removeDir(redis.dir);
  });

  it('is unready naming Redis while it is down, ready again when it returns', async () => {
    gateway = await startGateway({ config });
    cleanups.push(() => gateway.stop());
    expect((await readiness(gateway)).status).toBe(200);
    await redis.stop();
    let seen: Awaited<ReturnType<typeof readiness>> | undefined;
    await waitFor(async () => (seen = await readiness(gateway)).status === 503, 10_000, '/readyz to answer 503');
    expect(seen!.body.reasons.join('\n')).toMatch(/^redis is /mu);
    let down: Sample[] = [];
    // The first reconnect attempt's failure is the first error (the close itself is not one).
    await waitFor(
      async () =>
        (sampleValue((down = parsePrometheus(await (await scrape(gateway)).text())), 'airlock_redis_errors_total', {
          client: 'request',
        }) ?? 0) > 0,
      10_000,
      'a Redis error to be counted',
    );
    // Pending approvals cannot be read: left out of the scrape, not reported as zero.
    expect(sampleValue(down, 'airlock_approvals_pending', { grant: 'ready-agent' })).toBeUndefined();
    // A SIGTERM now is not held up by the Redis that is gone.
    const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', resolve));
    const termAt = Date.now();
    gateway.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const tookMs = Date.now() - termAt;
    // Each part that needs Redis gets 300 ms while it is down (src/gateway.ts); before: 6.5 s.
    expect(tookMs).toBeLessThan(3_000);

    redis = await startTestRedis([], redis.dir);
    gateway = await startGateway({ config });
    await redis.stop();
    await waitFor(async () => (await readiness(gateway)).status === 503, 10_000, '/readyz to answer 503');
    redis = await startTestRedis([], redis.dir);
    await waitFor(async () => (await readiness(gateway)).status === 200, 15_000, '/readyz to answer 200 again');
    expect((await readiness(gateway)).body.reasons).toEqual([]);
  });

  it('answers a held HTTP call "pending" at SIGTERM and the approval stays in Redis', async () => {
    const engine = await startEngine({ redisUrl: `unix://${redis.socketPath}`, prefix, processJobs: false });
    cleanups.push(() => engine.close());
    const agent = await connectAgentHttp(gateway.mcpUrl, TOKEN, 'legacy');
    cleanups.push(() => agent.close());
    const { held, id } = await holdCopy(agent, engine);
    const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', resolve));
    gateway.child.kill('SIGTERM');
    const result = await held;
    expect(result.structuredContent).toMatchObject({ status: 'pending', approval_id: id });
    expect(await exited).toBe(0);
    expect(gateway.stderr()).toMatch(/shutdown: calls in flight answered/u);
    // The approval outlives the process, still pending for the agent's retry anywhere.
    expect((await engine.get(id)).state).toBe('pending');
  });
});
