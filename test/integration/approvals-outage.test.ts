import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, startGateway, type GatewayProcess } from '../helpers/gateway.js';
import { tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { callTool } from '../helpers/processes.js';
import { removeDir, startTestRedis, type TestRedis } from '../helpers/redis-server.js';

/** A call that needs approval keeps the fail-closed contract while Redis is down or hung. */
describe('require_approval while Redis is unavailable', () => {
  const dir = tempDir();
  const token = 'outage-agent-token-000000001';
  let redis: TestRedis;
  let gateway: GatewayProcess;
  let agent: Client;

  beforeAll(async () => {
    redis = await startTestRedis();
    const config = writeJson(join(dir, 'airlock.config.json'), {
      redis: { url: `unix://${redis.socketPath}` },
      upstreams: { mlflow: upstreams.standin() },
      policy: writeJson(join(dir, 'policy.json'), {
        version: '1',
        default: 'deny',
        tools: {
          copy_model_version: { action: 'require_approval', approval: { approvers: ['U0APPROVER'], timeout: '10m' } },
        },
      }),
      grants: [{ name: 'agent', token, hold: '1s' }],
    });
    gateway = await startGateway({ config });
    agent = await connectHttp(gateway.mcpUrl, token);
  });

  afterAll(async () => {
    await agent?.close();
    await gateway?.stop();
    redis.child.kill('SIGCONT');
    await redis.stop();
    removeDir(redis.dir);
  });

  const args = { src_model_name: 'fraud-detector-dev', src_version: '1', dst_model_name: 'fraud-detector-staging' };

  async function expectUnavailable(): Promise<void> {
    const started = Date.now();
    const result = await callTool(agent, 'copy_model_version', args);
    expect(Date.now() - started).toBeLessThanOrEqual(3_000);
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({
      status: 'unavailable',
      rule: '/tools/copy_model_version',
      reason: 'approvals_unavailable',
    });
  }

  it('answers {status: "unavailable"} within 3 s when Redis hangs', async () => {
    redis.child.kill('SIGSTOP');
    try {
      await expectUnavailable();
    } finally {
      redis.child.kill('SIGCONT');
    }
  });

  it('answers {status: "unavailable"} within 3 s when Redis is stopped', async () => {
    await redis.stop();
    await expectUnavailable();
    await expectUnavailable();
  });
});
