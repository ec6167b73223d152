import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { writeGatewayConfig } from '../helpers/config.js';

/**
 * Hostile arguments against a real gateway process, through the real HTTP endpoint: a regex that
 * backtracks catastrophically in JavaScript must not stall the gateway (before RE2, this call
 * blocked the event loop for minutes: /healthz, other agents and SIGTERM with it), and arguments
 * of the wrong shape or size are denied, not let through.
 */

const TOKEN = 'hostile-input-token-0000001';
const HOSTILE = `${'a'.repeat(49)}!`;
const dir = tempDir('airlock-hostile-');

const policy = {
  version: '1',
  default: 'deny',
  tools: {
    get_registered_model: { deny_if: [{ path: 'args.name', op: 'regex', value: '^(a+)+$' }] },
  },
};

let gateway: GatewayProcess;
let agent: Client;

const call = (args: Record<string, unknown>): Promise<CallToolResult> =>
  agent.request(
    { method: 'tools/call', params: { name: 'get_registered_model', arguments: args } },
    CallToolResultSchema,
  );
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** How long one GET /healthz takes; a stalled gateway fails the fetch after 5 s instead of hanging the test. */
async function timeHealthz(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${gateway.baseUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  await res.body?.cancel();
  return performance.now() - started;
}

beforeAll(async () => {
  const config = writeGatewayConfig(dir, {
    upstreams: { mlflow: upstreams.standin(['--state', join(dir, 'mlflow-state.json')]) },
    policy: writeJson(join(dir, 'policy.json'), policy),
    grants: [{ name: 'agent', token: TOKEN }],
  });
  gateway = await startGateway({ config });
  agent = await connectHttp(gateway.mcpUrl, TOKEN);
});

afterAll(async () => {
  await agent?.close();
  await gateway?.stop();
});

describe('a catastrophic-backtracking policy regex', () => {
  it('keeps /healthz answering within 100 ms while the hostile call is in flight, and answers the call promptly', async () => {
    await timeHealthz(); // connection warm-up, not measured
    const started = performance.now();
    let answeredAfter: number | undefined;
    const hostile = call({ name: HOSTILE }).finally(() => (answeredAfter = performance.now() - started));

    const samples: number[] = [];
    const deadline = Date.now() + 10_000;
    while ((answeredAfter === undefined || samples.length < 5) && Date.now() < deadline)
      samples.push(await timeHealthz());
    const result = await hostile;

    expect(samples.length).toBeGreaterThanOrEqual(5);
    for (const ms of samples) expect(ms).toBeLessThan(100);
    expect(answeredAfter).toBeLessThan(2_000);
    // The regex does not match (the "!"), so the deny_if does not hold: the call reaches the
    // stand-in, which has no such model.
    expect(text(result)).not.toMatch(/Denied by Airlock/);
    expect(text(result)).toContain(`Registered Model with name=${HOSTILE} not found`);
  });

  it('still denies what the pattern matches, naming the condition', async () => {
    const result = await call({ name: 'a'.repeat(49) });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({
      status: 'denied',
      rule: '/tools/get_registered_model/deny_if/0',
      reason: 'args.name matches ^(a+)+$',
    });
  });
});

describe('arguments the condition cannot check', () => {
  it('denies an array where the regex expects a string', async () => {
    const result = await call({ name: ['aaa'] });
    expect(result.structuredContent).toEqual({
      status: 'denied',
      rule: '/tools/get_registered_model/deny_if/0',
      reason: 'args.name must be a string to be checked against ^(a+)+$, got an array',
    });
  });

  it('denies a string too long to check, without matching it', async () => {
    const result = await call({ name: 'b'.repeat(70_000) });
    expect(result.structuredContent).toMatchObject({ status: 'denied', rule: '/tools/get_registered_model/deny_if/0' });
    expect(text(result)).toContain(
      'args.name is too long to be checked against ^(a+)+$: 70000 characters, at most 65536 are checked',
    );
  });
});

describe('airlock check', () => {
  it('rejects a lookahead with exit 1, naming the file, the condition and the construct', () => {
    const file = writeJson(join(dir, 'lookahead.json'), {
      version: '1',
      default: 'deny',
      tools: {
        copy_model_version: { deny_if: [{ path: 'args.dst_model_name', op: 'regex', value: '^prod-(?=.*-legacy$)' }] },
      },
    });
    const run = spawnSync(process.execPath, [CLI, 'check', file, '--data-dir', tempDir('airlock-data-')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `${file}: /tools/copy_model_version/deny_if/0/value: lookahead \`(?=…)\` is not supported: policy regexes use RE2 syntax (linear time)`,
    );
  });
});
