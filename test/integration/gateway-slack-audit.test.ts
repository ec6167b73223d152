import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APPROVE_ACTION, DENY_ACTION, DENY_MODAL } from '../../src/slack/index.js';
import { randomPrefix } from '../helpers/approvals.js';
import { readAuditEvents, readAuditStream } from '../helpers/audit.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { connectHttp, startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { buttonClick, modalSubmission, postInteraction } from '../helpers/slack-signing.js';
import { writeGatewayConfig } from '../helpers/config.js';

const TOKEN = 'slack-audit-agent-token-000001';
const SECRET = 'signing-secret-for-gateway-tests-0001';
const LEAK = 'sk-live-DO-NOT-LEAK-4242';
const dir = tempDir();
const prefix = randomPrefix();
const auditFile = join(dir, 'audit-a.jsonl');

const policy = {
  version: '1',
  default: 'deny',
  tools: {
    get_experiments: {},
    delete_run: { action: 'deny', reason: 'Destructive' },
    set_run_tag: { limits: [{ counter: 'tags', window: 'minute', max: 1, scope: 'grant' }] },
    copy_model_version: {
      action: 'require_approval',
      reason: 'Promotes a model version',
      approval: { approvers: ['U0APPROVER'], timeout: '10m' },
    },
    update_model_version: { action: 'require_approval', approval: { approvers: ['U0APPROVER'], timeout: '1s' } },
  },
};

let fake: FakeSlack;
let a: GatewayProcess;
let agent: Client;
let slackUrl: string;
let configFile: string;
let redis: Redis;

const call = (name: string, args: Record<string, unknown>): Promise<CallToolResult> =>
  agent.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, { timeout: 60_000 });
const copyArgs = (version: string) => ({
  src_model_name: 'fraud-detector-dev',
  src_version: version,
  dst_model_name: 'fraud-detector-prod',
  api_token: LEAK,
});
const events = (file = auditFile) => readAuditEvents(file);
const typesOf = (callId: string, file?: string) =>
  events(file)
    .filter((e) => e.call_id === callId)
    .map((e) => e.type);

const seenApprovals = new Set<string>();

/** The next approval message Slack received (one this test file has not looked at yet). */
async function approvalMessage(tool: string) {
  const next = () =>
    fake.approvalMessages().find((m) => !seenApprovals.has(m.approvalId) && JSON.stringify(m.blocks).includes(tool));
  await waitFor(() => next() !== undefined, 15_000, `a Slack approval message for ${tool}`);
  const { ts, channel, approvalId: id } = next()!;
  seenApprovals.add(id);
  return { ts, channel, id };
}

/** The approver's click on a button of an approval message, as Slack would post it. */
const clickOn = (message: { id: string; channel: string; ts: string }, actionId: string) =>
  buttonClick({
    actionId,
    approvalId: message.id,
    user: 'U0APPROVER',
    channel: message.channel,
    ts: message.ts,
    responseUrl: fake.responseUrl(),
  });

beforeAll(async () => {
  fake = await FakeSlack.start();
  configFile = writeGatewayConfig(
    dir,
    {
      upstreams: { mlflow: upstreams.standin(['--state', join(dir, 'mlflow.json')]) },
      policy: writeJson(join(dir, 'policy.json'), policy),
      grants: [{ name: 'agent', token: TOKEN, owner: 'U0OWNER', hold: '30s' }],
      slack: {
        bot_token: 'xoxb-test-token',
        signing_secret: SECRET,
        approvals_channel: 'C0APPROVALS',
        audit_channel: 'C0AUDIT',
        listen: { host: '127.0.0.1', port: 0 },
        api_url: fake.apiUrl,
        retry: { attempts: 5, initial_delay: '100ms', max_delay: '1s' },
      },
      audit: { slack_summary_window: '1s' },
      approvals: { progress_interval: '300ms' },
    },
    { prefix },
  );
  a = await startGateway({ config: configFile, auditFile });
  slackUrl = /Slack interactivity endpoint: (\S+)/.exec(a.stdout())![1]!;
  agent = await connectHttp(a.mcpUrl, TOKEN);
  redis = new Redis({ path: inject('redisPath') });
});

afterAll(async () => {
  redis?.disconnect();
  await agent?.close();
  await a?.stop();
  await fake?.close();
});

describe('the full Slack cycle through the gateway', () => {
  let approvedCall: string;

  it('holds a call, posts it to Slack, and an Approve click releases it: the agent gets the real result, the message and thread follow', async () => {
    const pending = call('copy_model_version', copyArgs('1'));
    const message = await approvalMessage('copy_model_version');
    const text = JSON.stringify(fake.messages.get(`${message.channel}:${message.ts}`) ?? fake.messageFor(message.id));
    expect(text).toContain('fraud-detector-dev');
    expect(text).not.toContain(LEAK);

    const status = await postInteraction(slackUrl, SECRET, clickOn(message, APPROVE_ACTION));
    expect(status).toBe(200);
    const result = await pending;
    expect(result.isError).toBeFalsy();
    expect(JSON.parse((result.content[0] as { text: string }).text)).toMatchObject({
      name: 'fraud-detector-prod',
      source: 'models:/fraud-detector-dev/1',
    });

    await waitFor(
      () => JSON.stringify(fake.messageFor(message.id)?.blocks ?? '').includes('Approved'),
      10_000,
      'the message updated to Approved',
    );
    expect(JSON.stringify(fake.messageFor(message.id)!.blocks)).not.toContain(APPROVE_ACTION);
    await waitFor(() => fake.threadReplies(message.ts).length > 0, 10_000, 'the outcome in the thread');
    expect(fake.threadReplies(message.ts)[0]!.text).toMatch(/ok/i);
    approvedCall = message.id;
  });

  it('denies from the modal with a reason; the agent reads who and why', async () => {
    const pending = call('copy_model_version', copyArgs('2'));
    const message = await approvalMessage('copy_model_version');
    const opened = fake.ok('views.open').length;
    await postInteraction(slackUrl, SECRET, clickOn(message, DENY_ACTION));
    await waitFor(() => fake.ok('views.open').length > opened, 10_000, 'the deny modal');
    const modal = fake.ok('views.open').at(-1)!.body.view as { private_metadata: string };
    await postInteraction(
      slackUrl,
      SECRET,
      modalSubmission({
        callbackId: DENY_MODAL,
        privateMetadata: modal.private_metadata,
        user: 'U0APPROVER',
        reason: 'wrong version',
      }),
    );
    const result = await pending;
    expect(result.structuredContent).toMatchObject({
      status: 'denied',
      decided_by: 'U0APPROVER',
      reason: 'wrong version',
    });
  });

  it('never decides on a forged signature', async () => {
    const pending = call('copy_model_version', copyArgs('3'));
    const message = await approvalMessage('copy_model_version');
    const forged = await postInteraction(slackUrl, SECRET, clickOn(message, APPROVE_ACTION), {
      signWith: 'not-the-secret',
    });
    expect(forged).toBe(401);
    const stale = await postInteraction(slackUrl, SECRET, clickOn(message, APPROVE_ACTION), {
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    expect(stale).toBe(401);
    const shown = spawnSync(
      process.execPath,
      [CLI, 'approvals', 'show', message.id, '--json', '--config', configFile],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(shown.stdout)).toMatchObject({ state: 'pending' });
    spawnSync(process.execPath, [CLI, 'approvals', 'withdraw', message.id, '--config', configFile], {
      encoding: 'utf8',
    });
    expect((await pending).structuredContent).toMatchObject({ status: 'withdrawn' });
  });

  it('tells the waiting agent, in its progress text, when Slack cannot be reached', async () => {
    fake.failNext(4, { status: 500 }, ['chat.postMessage']);
    const progress: string[] = [];
    const pending = agent.request(
      { method: 'tools/call', params: { name: 'copy_model_version', arguments: copyArgs('3') } },
      CallToolResultSchema,
      {
        timeout: 60_000,
        onprogress: (p) => progress.push(p.message ?? ''),
      },
    );
    await waitFor(
      () => progress.some((m) => m.includes('Slack could not be reached')),
      15_000,
      'a progress text about Slack',
    );
    const id = /approval (apr_[a-z2-7]{20})/.exec(progress.at(-1)!)![1]!;
    expect(progress.find((m) => m.includes('Slack could not be reached'))).toContain(`airlock approvals approve ${id}`);
    // Slack comes back: the message lands and the note goes away; the call is still decidable.
    await waitFor(() => fake.messageFor(id) !== undefined, 15_000, 'the message posted after the outage');
    seenApprovals.add(id);
    spawnSync(process.execPath, [CLI, 'approvals', 'withdraw', id, '--config', configFile], { encoding: 'utf8' });
    expect((await pending).structuredContent).toMatchObject({ status: 'withdrawn' });
  });

  describe('the audit trail', () => {
    it('records every path of a call as its own sequence of events', async () => {
      const sequence = async (name: string, args: Record<string, unknown>) => {
        const before = new Set(events().map((e) => e.call_id));
        await call(name, args);
        let id: string | undefined;
        await waitFor(
          () =>
            (id = events().find(
              (e) => e.type === 'call.received' && e.tool === name && !before.has(e.call_id),
            )?.call_id) !== undefined,
          5_000,
          `events of ${name}`,
        );
        return id!;
      };
      // Events after the decision are written without holding the call up, so wait for them.
      const expectTypes = async (callId: string, expected: string[]) => {
        await waitFor(() => typesOf(callId).length >= expected.length, 5_000, `${expected.length} events of ${callId}`);
        expect(typesOf(callId)).toEqual(expected);
      };
      await expectTypes(await sequence('get_experiments', {}), [
        'call.received',
        'policy.decided',
        'call.forwarded',
        'call.outcome',
      ]);
      await expectTypes(await sequence('delete_run', { run_id: 'r1' }), ['call.received', 'policy.decided']);
      await call('set_run_tag', { run_id: 'r1', key: 'k', value: 'v' });
      await expectTypes(await sequence('set_run_tag', { run_id: 'r1', key: 'k', value: 'v2' }), [
        'call.received',
        'policy.decided',
        'call.rate_limited',
      ]);
      const expiredCall = await sequence('update_model_version', {
        name: 'fraud-detector-dev',
        version: '1',
        description: 'x',
      });
      await expectTypes(expiredCall, ['call.received', 'policy.decided', 'approval.requested']);
      const expiredApproval = events().find(
        (e) => e.call_id === expiredCall && e.type === 'approval.requested',
      )!.approval_id!;
      await waitFor(
        () => events().some((e) => e.approval_id === expiredApproval && e.type === 'approval.expired'),
        10_000,
        'approval.expired',
      );

      // Approved and run (from the first test): requested, forwarded, outcome on the call; the decision once.
      const approvedEvents = events().filter((e) => e.approval_id === approvedCall);
      const holder = approvedEvents.find((e) => e.type === 'approval.requested')!.call_id;
      expect(typesOf(holder)).toEqual([
        'call.received',
        'policy.decided',
        'approval.requested',
        'call.forwarded',
        'call.outcome',
      ]);
      expect(events().find((e) => e.call_id === holder && e.type === 'call.outcome')).toMatchObject({ outcome: 'ok' });
      expect(approvedEvents.filter((e) => e.type === 'approval.decided')).toEqual([
        expect.objectContaining({ decision: 'approved', approver: 'U0APPROVER' }),
      ]);
      const denied = events().filter((e) => e.type === 'approval.decided' && e.decision === 'denied');
      expect(denied).toEqual([expect.objectContaining({ approver: 'U0APPROVER', reason: 'wrong version' })]);
      expect(events().some((e) => e.type === 'approval.withdrawn')).toBe(true);
    });

    it('redacts secret-looking arguments in the file, the stream and Slack, keeping a hash of the full arguments', async () => {
      expect(readFileSync(auditFile, 'utf8')).not.toContain(LEAK);
      // The call's first event carries the redacted arguments; its other events the hash only.
      const received = events().find((e) => e.type === 'call.received' && e.tool === 'copy_model_version')!;
      expect(received.args).toMatchObject({ api_token: '[redacted]', src_model_name: 'fraud-detector-dev' });
      expect(received.args_sha256).toMatch(/^[0-9a-f]{64}$/);
      const later = events().filter((e) => e.call_id === received.call_id && e.type !== 'call.received');
      expect(later.length).toBeGreaterThan(0);
      for (const event of later) {
        expect(event.args_sha256).toBe(received.args_sha256);
        expect(event).not.toHaveProperty('args');
      }
      const entries = await redis.xrange(`${prefix}:audit`, '-', '+');
      expect(entries.length).toBeGreaterThan(10);
      expect(JSON.stringify(entries)).not.toContain(LEAK);
      expect(JSON.stringify(fake.calls)).not.toContain(LEAK);
      await waitFor(() => fake.calls.some((c) => c.body.channel === 'C0AUDIT'), 10_000, 'audit lines in Slack');
    });

    it('verifies the chain with airlock audit verify', () => {
      const run = spawnSync(process.execPath, [CLI, 'audit', 'verify', auditFile], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    });

    it('shares one stream between two Airlock processes', async () => {
      const b = await startGateway({ config: configFile });
      try {
        const other = await connectHttp(b.mcpUrl, TOKEN);
        await other.request(
          { method: 'tools/call', params: { name: 'get_experiments', arguments: {} } },
          CallToolResultSchema,
        );
        await other.close();
        const fromB = readAuditEvents(b.auditFile!).map((e) => e.call_id);
        await waitFor(
          async () => {
            const ids = (await readAuditStream(redis, `${prefix}:audit`)).map((e) => e.call_id);
            return fromB.every((id) => ids.includes(id)) && events().some((e) => ids.includes(e.call_id));
          },
          10_000,
          'both processes in the stream',
        );
      } finally {
        await b.stop();
      }
    });

    it('refuses calls with a clear error when the audit file cannot be written', async () => {
      const c = await startGateway({ config: configFile });
      const client = await connectHttp(c.mcpUrl, TOKEN);
      try {
        unlinkSync(c.auditFile!);
        symlinkSync('/dev/full', c.auditFile!);
        await waitFor(
          async () => {
            const r = await client.request(
              { method: 'tools/call', params: { name: 'get_experiments', arguments: {} } },
              CallToolResultSchema,
            );
            return (r.content[0] as { text: string }).text.includes('ENOSPC');
          },
          10_000,
          'a refusal naming the full disk',
        );
        const refused = await client.request(
          { method: 'tools/call', params: { name: 'get_experiments', arguments: {} } },
          CallToolResultSchema,
        );
        expect(refused.isError).toBe(true);
        expect(refused.structuredContent).toMatchObject({ status: 'unavailable', reason: 'audit_unavailable' });
        expect((refused.content[0] as { text: string }).text).toMatch(/cannot write its audit trail .*ENOSPC/);
      } finally {
        await client.close();
        await c.stop();
      }
    });
  });
});
