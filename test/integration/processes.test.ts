import { once } from 'node:events';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answersPing, embeddedRedisSocket } from '../../src/redis/index.js';
import {
  connectHttp,
  connectStdio,
  startGateway,
  stopProcess,
  waitFor,
  type GatewayProcess,
} from '../helpers/gateway.js';
import { CLI, tempDir, upstreams, writeJson } from '../helpers/paths.js';
import {
  airlock,
  callTool,
  embeddedRedisPid,
  isRunning,
  processesMentioning,
  waitForPendingApproval,
} from '../helpers/processes.js';
import { writeGatewayConfig } from '../helpers/config.js';

const copyArgs = (version: string) => ({
  src_model_name: 'fraud-detector-dev',
  src_version: version,
  dst_model_name: 'fraud-detector-staging',
});
const stopped: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stopped.reverse()) await stop().catch(() => {});
});

/** A stdio agent the way Claude Desktop starts one: no config, cwd `/`, only the data directory in common. */
async function stdioAgent(dataDir: string) {
  const agent = await connectStdio(undefined, [], { AIRLOCK_HOME: dataDir }, { cwd: '/' });
  const pid = agent.transport.pid!;
  const exited = new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (!isRunning(pid)) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  stopped.push(() => agent.client.close());
  return { ...agent, pid, exited };
}

describe('stdio agents side by side on one data directory', () => {
  const dataDir = tempDir('airlock-home-');

  it('both serve from cwd /; the first quitting leaves the second able to hold and approve; the last SIGTERM leaves no redis-server', async () => {
    const first = await stdioAgent(dataDir);
    const second = await stdioAgent(dataDir);
    for (const agent of [first, second])
      expect((await agent.client.listTools()).tools.map((t) => t.name)).toContain('copy_model_version');
    const redisPid = await embeddedRedisPid(dataDir);
    expect(redisPid).toBeGreaterThan(0);

    // The first agent quits by closing stdin: out within 1 s, its stderr closed (the shared Redis holds none of its stdio).
    const stderrEnded = once(first.transport.stderr!, 'end');
    const quitAt = Date.now();
    await first.transport.close();
    await first.exited;
    expect(Date.now() - quitAt).toBeLessThan(1_000);
    await stderrEnded;
    expect(await embeddedRedisPid(dataDir)).toBe(redisPid);

    // The second still holds a call for approval, and gets the real result once it is approved.
    const held = callTool(second.client, 'copy_model_version', copyArgs('1'));
    const approvalId = await waitForPendingApproval(dataDir, 'copy_model_version');
    const approved = airlock(dataDir, 'approvals', 'approve', approvalId, '--as', 'U0DEMOAPPROVER');
    expect(approved.stderr).toBe('');
    expect(approved.status).toBe(0);
    const result = await held;
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result)).toContain('fraud-detector-staging');

    // The last one out stops the embedded Redis.
    const termAt = Date.now();
    process.kill(second.pid, 'SIGTERM');
    await second.exited;
    expect(Date.now() - termAt).toBeLessThan(1_000);
    await waitFor(() => !isRunning(redisPid!), 2_000, 'the embedded redis-server to stop');
    expect(await answersPing(embeddedRedisSocket(dataDir))).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('a SIGTERM answers a held call "pending" before the process exits, within 1 s', async () => {
    const agent = await stdioAgent(dataDir);
    const held = callTool(agent.client, 'copy_model_version', copyArgs('2'));
    const approvalId = await waitForPendingApproval(dataDir, 'copy_model_version');
    const termAt = Date.now();
    process.kill(agent.pid, 'SIGTERM');
    const result = await held;
    await agent.exited;
    expect(Date.now() - termAt).toBeLessThan(1_000);
    expect(result.structuredContent).toMatchObject({ status: 'pending', approval_id: approvalId });
    await waitFor(
      async () => (await embeddedRedisPid(dataDir)) === undefined,
      2_000,
      'the embedded redis-server to stop',
    );
    // The approval outlives the process: the next one finds it in Redis.
    const next = await stdioAgent(dataDir);
    const again = callTool(next.client, 'copy_model_version', copyArgs('2'));
    expect(airlock(dataDir, 'approvals', 'approve', approvalId, '--as', 'U0DEMOAPPROVER').status).toBe(0);
    expect((await again).isError).toBeFalsy();
    await next.transport.close();
    await next.exited;
  });
});

describe('the embedded Redis outlives no one and survives anyone', () => {
  it('keeps serving the others when the process that started it is killed (-9), and comes back when it is killed itself', async () => {
    const dataDir = tempDir('airlock-home-');
    const starter = await startGateway({ dataDir });
    const other = await startGateway({ dataDir });
    stopped.push(starter.stop, other.stop);
    const redisPid = (await embeddedRedisPid(dataDir))!;
    const token = /Grant "demo" token: (\S+)/u.exec(other.stdout())![1]!;

    await stopProcess(starter.child, 'SIGKILL');
    const agent = await connectHttp(other.mcpUrl, token);
    // A rate-limited call needs Redis: it is admitted, not refused.
    expect((await callTool(agent, 'get_registered_models', {})).isError).toBeFalsy();
    expect(await embeddedRedisPid(dataDir)).toBe(redisPid);

    process.kill(redisPid, 'SIGKILL');
    await waitFor(
      async () => ((await embeddedRedisPid(dataDir)) ?? redisPid) !== redisPid,
      10_000,
      'a member to start the embedded Redis again',
    );
    await waitFor(
      async () => (await callTool(agent, 'get_registered_models', {})).isError !== true,
      10_000,
      'calls to be admitted again',
    );
    await agent.close();

    await stopProcess(other.child, 'SIGINT');
    await waitFor(async () => (await embeddedRedisPid(dataDir)) === undefined, 3_000, 'the last member to stop it');
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('a start-up failure after Redis started (port in use) exits 1, says why, and leaves nothing running', async () => {
    const dataDir = tempDir('airlock-home-');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data-dir', dataDir], {
        cwd: tempDir(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(1);
      expect(stderr).toContain(`airlock: cannot listen on 127.0.0.1:${port}: the port is in use (another Airlock?)`);
      expect(await answersPing(embeddedRedisSocket(dataDir))).toBe(false);
      await waitFor(
        () => processesMentioning(dataDir).length === 0,
        3_000,
        `nothing left running (${processesMentioning(dataDir).join('; ')})`,
      );
    } finally {
      blocker.close();
    }
  });
});

describe('two serve processes from one config file', () => {
  it('share a counter exactly, each writing its own audit chain in the one audit directory', async () => {
    const dir = tempDir();
    const dataDir = tempDir('airlock-home-');
    const policy = writeJson(join(dir, 'policy.json'), {
      version: '1',
      default: 'deny',
      tools: { get_registered_models: { limits: [{ counter: 'reads', window: 'hour', max: 10, scope: 'grant' }] } },
    });
    const config = writeGatewayConfig(dir, {
      upstreams: { mlflow: upstreams.standin() },
      policy,
      grants: [{ name: 'shared', token: 'shared-grant-token-000000001' }],
    });
    const gateways: GatewayProcess[] = await Promise.all(
      [0, 1].map(() => startGateway({ config, dataDir, auditFile: null })),
    );
    stopped.push(...gateways.map((g) => g.stop));
    const agents = await Promise.all(gateways.map((g) => connectHttp(g.mcpUrl, 'shared-grant-token-000000001')));
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => callTool(agents[i % 2]!, 'get_registered_models', {})),
    );
    expect(results.filter((r) => !r.isError)).toHaveLength(10);
    expect(
      results.filter((r) => (r.structuredContent as { status?: string } | undefined)?.status === 'rate_limited'),
    ).toHaveLength(20);
    await Promise.all(agents.map((a) => a.close()));
    await Promise.all(gateways.map((g) => g.stop()));

    const chains = readdirSync(join(dataDir, 'audit')).filter((f) => f.endsWith('.jsonl'));
    expect(chains).toHaveLength(2);
    const verify = airlock(dataDir, 'audit', 'verify', '--config', config);
    expect(verify.status).toBe(0);
    expect(verify.stdout.match(/: OK: /gu)).toHaveLength(2);
  });
});

describe('an upstream that cannot start', () => {
  it('fails loudly and alone: named at once, the others serve, retried with a growing backoff, named by /readyz', async () => {
    const dir = tempDir();
    const config = writeGatewayConfig(dir, {
      upstreams: { mlflow: upstreams.standin(), ghost: { command: 'mcp-servr-typo' } },
      policy: writeJson(join(dir, 'policy.json'), { version: '1', default: 'allow' }),
      grants: [{ name: 'laptop', token: 'ghost-test-token-0000000001' }],
    });
    const startedAt = Date.now();
    const gateway = await startGateway({ config });
    stopped.push(gateway.stop);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(gateway.stderr()).toContain('upstream ghost: command mcp-servr-typo not found (ENOENT)');

    const agent = await connectHttp(gateway.mcpUrl, 'ghost-test-token-0000000001');
    expect((await agent.listTools()).tools.map((t) => t.name)).toContain('mlflow__get_experiments');
    expect((await callTool(agent, 'mlflow__get_experiments', {})).isError).toBeFalsy();
    await agent.close();

    const ready = await fetch(`${gateway.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as {
      reasons: string[];
      upstreams: Record<string, { state: string; error?: string }>;
    };
    expect(body.reasons).toContain('upstream ghost is down: command mcp-servr-typo not found (ENOENT)');
    expect(body.upstreams.mlflow?.state).toBe('ready');
    expect(body.upstreams.ghost).toMatchObject({ state: 'down', error: 'command mcp-servr-typo not found (ENOENT)' });

    const retries = () =>
      [...gateway.stderr().matchAll(/"upstream":"ghost"[^\n]*"retry_in_ms":(\d+)/gu)].map((m) => Number(m[1]));
    await waitFor(() => retries().length >= 4, 10_000, 'four retries of the ghost upstream');
    expect(retries().slice(0, 4)).toEqual([250, 500, 1_000, 2_000]);
  });
});
