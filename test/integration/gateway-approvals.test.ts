import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalEngine, ApprovalView } from '../../src/approvals/index.js';
import { randomPrefix, startEngine } from '../helpers/approvals.js';
import { connectHttp, startGateway, stopProcess, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { testRedis } from '../helpers/test-redis.js';

const AGENT = 'approvals-agent-token-00000001';
const QUICK = 'approvals-quick-token-00000002';
const FLOOD = 'approvals-flood-token-00000003';
const dir = tempDir();
const callLog = join(dir, 'calls.jsonl');
const prefix = randomPrefix();
const approvers = ['U0APPROVER1', 'U0APPROVER2', 'U0OWNER'];

const policy = {
  version: '1',
  default: 'deny',
  tools: {
    'get_*': {},
    copy_model_version: {
      action: 'require_approval',
      reason: 'Promotes a model version into another registered model',
      approval: { approvers, timeout: '10m' },
    },
  },
  servers: {
    fixture: {
      tools: {
        slow: { action: 'require_approval', approval: { approvers, timeout: '10m' } },
        echo: { action: 'require_approval', approval: { approvers, timeout: '2s' } },
      },
    },
  },
};

let configFile: string;
let gateway: GatewayProcess;
let engine: ApprovalEngine;

const call = (
  client: Client,
  name: string,
  args: Record<string, unknown>,
  onprogress?: (message: string) => void,
): Promise<CallToolResult> =>
  client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, {
    timeout: 60_000,
    ...(onprogress ? { onprogress: (p) => onprogress(p.message ?? '') } : {}),
  });
const text = (r: CallToolResult) => (r.content[0] as { text: string }).text;
const copyArgs = (version: string) => ({
  src_model_name: 'fraud-detector-dev',
  src_version: version,
  dst_model_name: 'fraud-detector-prod',
});

async function prodVersions(client: Client): Promise<number> {
  const r = await call(client, 'mlflow__get_model_versions', { model_name: 'fraud-detector-prod' });
  return ((r.structuredContent as { result: unknown[] }).result ?? []).length;
}

async function pendingApproval(grant: string, tool: string, args?: Record<string, unknown>): Promise<ApprovalView> {
  let found: ApprovalView | undefined;
  await waitFor(
    async () => {
      const views = await engine.list({ grant, state: 'pending' });
      found = views.find(
        (v) => v.tool === tool && (args === undefined || JSON.stringify(v.args) === JSON.stringify(args)),
      );
      return found !== undefined;
    },
    15_000,
    `a pending ${tool} approval for ${grant}`,
  );
  return found!;
}

const upstreamCalls = (tool: string) =>
  readFileSync(callLog, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"tool":"${tool}"`) && !l.includes('cancelled')).length;

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, 'approvals', ...args, '--config', configFile], { encoding: 'utf8' });
}

beforeAll(async () => {
  writeFileSync(callLog, '');
  configFile = writeGatewayConfig(
    dir,
    {
      upstreams: {
        mlflow: upstreams.standin(['--state', join(dir, 'mlflow-state.json')]),
        fixture: upstreams.fixture(callLog),
      },
      policy: writeJson(join(dir, 'policy.json'), policy),
      grants: [
        { name: 'agent', token: AGENT, owner: 'U0OWNER', hold: '30s' },
        { name: 'quick', token: QUICK, owner: 'U0OWNER', hold: '1s' },
        { name: 'flood', token: FLOOD, owner: 'U0OWNER', hold: '200ms', max_pending: 2 },
      ],
      approvals: { execution_lease: '2s' },
    },
    { prefix },
  );
  gateway = await startGateway({ config: configFile });
  engine = await startEngine({ redisUrl: testRedis(), prefix, processJobs: false });
});

afterAll(async () => {
  await engine?.close();
  await gateway?.stop();
});

describe('a held call decided within the hold window', () => {
  it("runs once when approved: the agent gets the stand-in's real result, with progress while it waits", async () => {
    const agent = await connectHttp(gateway.mcpUrl, AGENT);
    try {
      const before = await prodVersions(agent);
      const progress: string[] = [];
      const pending = call(agent, 'mlflow__copy_model_version', copyArgs('1'), (m) => progress.push(m));
      const approval = await pendingApproval('agent', 'copy_model_version', copyArgs('1'));
      await waitFor(() => progress.length > 0, 5_000, 'a progress notification');
      expect(progress[0]).toMatch(
        new RegExp(
          `^Awaiting approval by U0APPROVER1 or U0APPROVER2 or U0OWNER \\(1 of 1 needed\\); expires .*; approval ${approval.id}$`,
        ),
      );

      await engine.decide(approval.id, 'approve', 'U0APPROVER1');
      const result = await pending;
      expect(result.isError).toBeFalsy();
      expect(JSON.parse(text(result))).toMatchObject({
        name: 'fraud-detector-prod',
        status: 'READY',
        source: 'models:/fraud-detector-dev/1',
      });
      expect(await prodVersions(agent)).toBe(before + 1);
    } finally {
      await agent.close();
    }
  });

  it('answers a denial with the approver and reason, and never runs the call', async () => {
    const agent = await connectHttp(gateway.mcpUrl, AGENT);
    try {
      const before = await prodVersions(agent);
      const pending = call(agent, 'mlflow__copy_model_version', copyArgs('2'));
      const approval = await pendingApproval('agent', 'copy_model_version', copyArgs('2'));
      await engine.decide(approval.id, 'deny', 'U0APPROVER2', 'not on a Friday');
      const result = await pending;
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toMatchObject({
        status: 'denied',
        approval_id: approval.id,
        decided_by: 'U0APPROVER2',
        reason: 'not on a Friday',
      });
      expect(text(result)).toMatch(/^Denied by U0APPROVER2 at .*: not on a Friday\./);
      expect(await prodVersions(agent)).toBe(before);
    } finally {
      await agent.close();
    }
  });

  it('expires when nobody decides, distinct from a denial, and never runs the call', async () => {
    const agent = await connectHttp(gateway.mcpUrl, AGENT);
    try {
      const result = await call(agent, 'fixture__echo', { text: 'needs a human' });
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toMatchObject({ status: 'expired', timeout: '2s' });
      expect(text(result)).toMatch(/^expired: no decision within 2s/);
      expect(upstreamCalls('echo')).toBe(0);
    } finally {
      await agent.close();
    }
  });
});

describe('pending, re-attach and collect', () => {
  it('re-attaches retries to one approval, runs it once after approval, then returns the stored result', async () => {
    const agent = await connectHttp(gateway.mcpUrl, QUICK);
    try {
      const before = await prodVersions(agent);
      const first = await call(agent, 'mlflow__copy_model_version', copyArgs('3'));
      expect(first.isError).toBeFalsy();
      const { approval_id: id } = first.structuredContent as {
        status: string;
        approval_id: string;
        expires_at: string;
      };
      expect(first.structuredContent).toMatchObject({ status: 'pending', approval_id: expect.stringMatching(/^apr_/) });
      expect(text(first)).toContain('call mlflow__copy_model_version again with exactly the same arguments');

      const second = await call(agent, 'mlflow__copy_model_version', copyArgs('3'));
      expect(second.structuredContent).toMatchObject({ status: 'pending', approval_id: id });
      expect((await engine.list({ grant: 'quick' })).filter((v) => v.tool === 'copy_model_version')).toHaveLength(1);

      // Different arguments never ride on this approval.
      const other = await call(agent, 'mlflow__copy_model_version', copyArgs('4'));
      expect((other.structuredContent as { approval_id: string }).approval_id).not.toBe(id);

      // Decided by another Airlock process: the CLI.
      const approved = cli('approve', id, '--as', 'U0APPROVER2');
      expect(approved.stderr).toBe('');
      expect(approved.status).toBe(0);

      const third = await call(agent, 'mlflow__copy_model_version', copyArgs('3'));
      expect(third.isError).toBeFalsy();
      expect(JSON.parse(text(third))).toMatchObject({
        name: 'fraud-detector-prod',
        source: 'models:/fraud-detector-dev/3',
      });
      const fourth = await call(agent, 'mlflow__copy_model_version', copyArgs('3'));
      expect(fourth).toEqual(third);
      expect(await prodVersions(agent)).toBe(before + 1);
      cli('withdraw', (other.structuredContent as { approval_id: string }).approval_id);
    } finally {
      await agent.close();
    }
  });

  it("refuses a non-approver and the grant owner's self-approval from the CLI", async () => {
    const agent = await connectHttp(gateway.mcpUrl, QUICK);
    try {
      const held = await call(agent, 'mlflow__copy_model_version', copyArgs('5'));
      const id = (held.structuredContent as { approval_id: string }).approval_id;
      const stranger = cli('approve', id, '--as', 'U0STRANGER');
      expect(stranger.status).toBe(1);
      expect(stranger.stderr).toMatch(
        /U0STRANGER may not decide approval apr_\w+: the approvers are U0APPROVER1, U0APPROVER2, U0OWNER/,
      );
      const self = cli('approve', id, '--as', 'U0OWNER');
      expect(self.status).toBe(1);
      expect(self.stderr).toMatch(/U0OWNER owns grant quick and may not approve its agent's call/);
      expect((await engine.get(id)).state).toBe('pending');
      expect(cli('withdraw', id).status).toBe(0);
      const collected = await call(agent, 'mlflow__copy_model_version', copyArgs('5'));
      expect(collected.structuredContent).toMatchObject({ status: 'withdrawn', approval_id: id });
    } finally {
      await agent.close();
    }
  });

  it('refuses new approval-needing calls beyond max_pending', async () => {
    const agent = await connectHttp(gateway.mcpUrl, FLOOD);
    try {
      for (const v of ['11', '12'])
        expect((await call(agent, 'mlflow__copy_model_version', copyArgs(v))).structuredContent).toMatchObject({
          status: 'pending',
        });
      const third = await call(agent, 'mlflow__copy_model_version', copyArgs('13'));
      expect(third.isError).toBe(true);
      expect(third.structuredContent).toMatchObject({
        status: 'max_pending',
        grant: 'flood',
        max_pending: 2,
        pending: 2,
      });
      // Re-attaching to an existing one is not a new request.
      expect((await call(agent, 'mlflow__copy_model_version', copyArgs('11'))).structuredContent).toMatchObject({
        status: 'pending',
      });
    } finally {
      await agent.close();
    }
  });
});

/**
 * An agent's call held by its own gateway process; `until` runs while it is held (and returns the
 * approval); then that gateway is SIGKILLed and the agent's lost request ends.
 */
async function holdThenKill(
  tool: string,
  args: Record<string, unknown>,
  until: () => Promise<ApprovalView>,
): Promise<ApprovalView> {
  const own = await startGateway({ config: configFile });
  const agent = await connectHttp(own.mcpUrl, AGENT);
  const lost = call(agent, tool, args).catch((e: unknown) => e);
  const approval = await until();
  await stopProcess(own.child, 'SIGKILL');
  // The SDK client would wait to resume the dead stream; closing it ends the lost request.
  await agent.close().catch(() => {});
  await lost;
  return approval;
}

describe('Airlock restarts', () => {
  it('keeps a pending approval across a kill and restart; the retry collects the result', async () => {
    const approval = await holdThenKill('mlflow__copy_model_version', copyArgs('2'), () =>
      pendingApproval('agent', 'copy_model_version', copyArgs('2')),
    );
    const again = await startGateway({ config: configFile });
    const agent = await connectHttp(again.mcpUrl, AGENT);
    try {
      const before = await prodVersions(agent);
      await engine.decide(approval.id, 'approve', 'U0APPROVER1');
      const result = await call(agent, 'mlflow__copy_model_version', copyArgs('2'));
      expect(JSON.parse(text(result))).toMatchObject({ source: 'models:/fraud-detector-dev/2' });
      expect(await prodVersions(agent)).toBe(before + 1);
    } finally {
      await agent.close();
      await again.stop();
    }
  });

  it('leaves the outcome unknown, never a second run, when Airlock dies mid-execution', async () => {
    const args = { ms: 20_000, steps: 1 };
    const approval = await holdThenKill('fixture__slow', args, async () => {
      const view = await pendingApproval('agent', 'slow');
      await engine.decide(view.id, 'approve', 'U0APPROVER1');
      await waitFor(() => upstreamCalls('slow') === 1, 10_000, 'the approved call to start upstream');
      return view;
    });
    const again = await startGateway({ config: configFile });
    const agent = await connectHttp(again.mcpUrl, AGENT);
    try {
      const retry = await call(agent, 'fixture__slow', args);
      expect(retry.isError).toBe(true);
      expect(retry.structuredContent).toMatchObject({ status: 'unknown', approval_id: approval.id });
      expect(text(retry)).toMatch(/may or may not have taken effect, and Airlock will not run it again/);
      expect(upstreamCalls('slow')).toBe(1);
    } finally {
      await agent.close();
      await again.stop();
    }
  });
});
