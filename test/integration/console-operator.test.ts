/**
 * Issue 17, the console's operator pages in real headless Chromium against a real `airlock serve`
 * and real SDK agents: a call's story (received → decided → approved by → forwarded → outcome),
 * recent events filtered by decision and tool, the policy page (the check table with risk classes
 * and counters' use) and its editor (an invalid edit shows check's own errors and leaves the
 * file as it was; a valid one is saved and hot reload applies it), nothing without login.
 * The story's screenshot goes to .airlock/artifacts/console-call-story.png.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/console/index.js';
import { connectAgentHttp } from '../helpers/agents.js';
import { ARTIFACTS, launchChromium } from '../helpers/browser.js';
import { randomPrefix } from '../helpers/approvals.js';
import { writeGatewayConfig } from '../helpers/config.js';
import { startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { CLI, tempDir, upstreams } from '../helpers/paths.js';

const TOKEN = 'operator-agent-token-0123456789';
const APPROVER = 'U0BOB00001';
const PASSWORD = 'bob-password-1234';

const policy = {
  version: '1',
  default: 'deny',
  tools: {
    health: {
      action: 'allow',
      limits: [{ counter: 'health_checks', window: 'minute', max: 50, scope: 'grant' }],
    },
    get_registered_model: { action: 'allow' },
    delete_registered_model: { action: 'deny', reason: 'deletes happen in the MLflow UI' },
    copy_model_version: {
      action: 'require_approval',
      reason: 'promotions need a human',
      approval: { approvers: [APPROVER], timeout: '1h' },
    },
  },
};

const text = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');

describe('the console operator pages in a real browser', () => {
  let gateway: GatewayProcess;
  let policyFile: string;
  let browser: Browser;
  let agent: Client;

  beforeAll(async () => {
    const dir = tempDir('airlock-console-ops-');
    policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(policy, null, 2) + '\n');
    const config = writeGatewayConfig(
      dir,
      {
        upstreams: { mlflow: upstreams.standin() },
        policy: policyFile,
        grants: [{ name: 'ops-agent', token: TOKEN, owner: 'U0OWNER02' }],
        console: { users: [{ name: 'bob', user_id: APPROVER, password_hash: await hashPassword(PASSWORD) }] },
      },
      { prefix: randomPrefix() },
    );
    gateway = await startGateway({ config });
    agent = await connectAgentHttp(gateway.mcpUrl, TOKEN, 'legacy');
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await agent?.close().catch(() => {});
    await browser?.close();
    await gateway?.stop();
  });

  async function logIn(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${gateway.baseUrl}/console/login`);
    await page.getByLabel('Name').fill('bob');
    await page.getByLabel('Password or token').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${gateway.baseUrl}/console/`);
    return page;
  }

  it('shows no story, event or policy without login, and refuses an unauthenticated save', async () => {
    for (const path of ['/console/calls/c_anything', '/console/events', '/console/policy']) {
      const answer = await fetch(`${gateway.baseUrl}${path}`, { redirect: 'manual' });
      expect(answer.status, path).toBe(303);
      expect(answer.headers.get('location')).toBe('/console/login');
    }
    for (const path of ['/console/api/calls/c_anything', '/console/api/events', '/console/api/policy'])
      expect((await fetch(`${gateway.baseUrl}${path}`)).status, path).toBe(401);
    const before = readFileSync(policyFile, 'utf8');
    const save = await fetch(`${gateway.baseUrl}/console/api/policy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '{"version":"1","default":"allow"}' }),
    });
    expect(save.status).toBe(401);
    expect(readFileSync(policyFile, 'utf8')).toBe(before);
  });

  it("tells a held call's story from the history: received, decided, approved by, forwarded, outcome", async () => {
    const page = await logIn();
    const held = agent.callTool({
      name: 'copy_model_version',
      arguments: { src_model_name: 'fraud-detector-dev', src_version: '1', dst_model_name: 'fraud-detector-story' },
    });
    const item = page.locator('li.approval', { hasText: 'fraud-detector-story' });
    await item.waitFor({ timeout: 15_000 });
    await item.getByRole('button', { name: 'Approve' }).click();
    expect((await held).isError).toBeFalsy();

    await page.goto(`${gateway.baseUrl}/console/history`);
    const row = page.locator('tr', { hasText: 'copy_model_version' }).first();
    await row.getByRole('link').click();
    await page.waitForURL(/\/console\/calls\/[^/]+$/u);
    const steps = page.locator('ol.timeline > li strong');
    // The outcome is written just after the agent's answer: poll the page until it is there.
    await waitFor(
      async () => {
        await page.reload();
        return (await steps.allTextContents()).some((s) => s.startsWith('Outcome: ok'));
      },
      10_000,
      'the outcome in the story',
    );
    const titles = await steps.allTextContents();
    const order = ['Received', 'Policy: require_approval', 'Approval requested', `Approved by ${APPROVER}`];
    const at = order.map((t) => titles.indexOf(t));
    expect(
      at.every((i) => i >= 0),
      titles.join(' | '),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const forwarded = titles.indexOf('Forwarded to the upstream');
    const outcome = titles.findIndex((t) => t.startsWith('Outcome: ok'));
    expect(forwarded).toBeGreaterThan(at[3]!);
    expect(outcome).toBeGreaterThan(forwarded);
    const summary = await page.locator('dl.summary').textContent();
    expect(summary).toContain('ops-agent');
    expect(summary).toContain('mlflow/copy_model_version');
    expect(await page.locator('pre.args').textContent()).toContain('fraud-detector-story');
    expect(await page.locator('ol.timeline').textContent()).toContain('promotions need a human');
    await page.screenshot({ path: join(ARTIFACTS, 'console-call-story.png'), fullPage: true });
    await page.close();
  });

  it('filters recent events by decision and tool, and names a filter it cannot read', async () => {
    expect((await agent.callTool({ name: 'health', arguments: {} })).isError).toBeFalsy();
    const denied = await agent.callTool({ name: 'delete_registered_model', arguments: { name: 'fraud-detector-dev' } });
    expect(text(denied)).toContain('deletes happen in the MLflow UI');
    const page = await logIn();
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByLabel('Decision').fill('deny');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/decision=deny/u);
    const rows = page.locator('table.events tbody tr');
    await waitFor(async () => (await rows.count()) > 0, 5_000, 'a denied event');
    const deniedRows = await rows.allTextContents();
    expect(deniedRows.some((r) => r.includes('delete_registered_model'))).toBe(true);
    expect(deniedRows.some((r) => r.includes('mlflow/health'))).toBe(false);

    await page.goto(`${gateway.baseUrl}/console/events?tool=health`);
    const healthRows = await page.locator('table.events tbody tr').allTextContents();
    expect(healthRows.length).toBeGreaterThan(0);
    expect(healthRows.every((r) => r.includes('mlflow/health'))).toBe(true);
    // A row's call links to its story.
    await page.locator('table.events tbody tr a').first().click();
    await page.waitForURL(/\/console\/calls\//u);
    expect(await page.locator('ol.timeline').textContent()).toContain('Policy: allow');

    const bad = await page.goto(`${gateway.baseUrl}/console/events?since=yesterday-ish`);
    expect(bad?.status()).toBe(400);
    expect(await page.locator('[role="alert"]').textContent()).toContain('since: expected a duration');
    await page.close();
  });

  it('shows the effective decisions with risk classes and counter use, and the editor saves only a valid policy', async () => {
    for (let i = 0; i < 3; i += 1)
      expect((await agent.callTool({ name: 'health', arguments: {} })).isError).toBeFalsy();
    const page = await logIn();
    await page.getByRole('link', { name: 'Policy' }).click();
    const health = page.locator('tr', { has: page.locator('th', { hasText: /^mlflow\/health$/u }) });
    const healthText = (await health.textContent()) ?? '';
    expect(healthText).toContain('allow');
    expect(healthText).toMatch(/read\/low/u);
    expect(healthText).toMatch(/health_checks 50\/minute per grant — [3-9]\/50 used/u);
    expect(healthText).toContain('/tools/health');
    const del = await page
      .locator('tr', { has: page.locator('th', { hasText: 'mlflow/delete_registered_model' }) })
      .textContent();
    expect(del).toMatch(/destructive\/high/u);
    expect(del).toContain('deletes happen in the MLflow UI');

    // An invalid edit: the errors check prints, as you type; Save leaves the file as it was.
    const before = readFileSync(policyFile, 'utf8');
    const invalid = '{"version":"1","default":"maybe","tools":{"health":{"action":"allow","max":3}}}';
    const editor = page.getByLabel('Policy file (JSON)');
    await editor.fill(invalid);
    const issues = page.locator('#policy-issues li');
    await waitFor(async () => (await issues.count()) === 2, 5_000, 'the issues as you type');
    const shown = await issues.allTextContents();
    const badFile = join(tempDir('airlock-check-'), 'bad.json');
    writeFileSync(badFile, invalid);
    const check = await promisify(execFile)(process.execPath, [CLI, 'check', badFile]).catch(
      (e: { stderr: string }) => e,
    );
    for (const issue of shown) expect(check.stderr).toContain(`${badFile}: ${issue}`);
    expect(shown[0]).toContain('/default: expected one of allow, deny');
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#policy-issues', { hasText: 'Not saved' }).waitFor();
    expect(readFileSync(policyFile, 'utf8')).toBe(before);

    // A valid edit: saved, and the gateway's hot reload applies it to the next call.
    const edited = structuredClone(policy) as { tools: Record<string, unknown> };
    edited.tools.health = { action: 'deny', reason: 'health checks paused from the console' };
    await editor.fill(JSON.stringify(edited, null, 2));
    await page.locator('#policy-issues', { hasText: 'Valid' }).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#policy-issues', { hasText: 'Saved' }).waitFor();
    expect(JSON.parse(readFileSync(policyFile, 'utf8'))).toEqual(edited);
    await waitFor(
      async () => text(await agent.callTool({ name: 'health', arguments: {} })).includes('health checks paused'),
      10_000,
      'the saved policy to be in force',
    );
    await page.reload();
    expect(await health.textContent()).toContain('deny');
    await page.close();
  });

  it('without script, the form post saves a valid policy and answers an invalid one with its errors (422)', async () => {
    const page = await logIn();
    await page.goto(`${gateway.baseUrl}/console/policy`);
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content'))!;
    const session = (await page.context().cookies()).find((c) => c.name === 'airlock_console')!;
    const post = (body: string) =>
      fetch(`${gateway.baseUrl}/console/policy`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: `airlock_console=${session.value}`,
          origin: gateway.baseUrl,
        },
        body: new URLSearchParams({ csrf, text: body }).toString(),
      });
    const before = readFileSync(policyFile, 'utf8');
    const rejected = await post('{"version":"1","default":"deny","tools":{"health":{"action":"sometimes"}}}');
    expect(rejected.status).toBe(422);
    expect(await rejected.text()).toContain('/tools/health/action');
    expect(readFileSync(policyFile, 'utf8')).toBe(before);
    const restored = JSON.stringify(policy, null, 2) + '\n';
    const saved = await post(restored);
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/console/policy?saved=1');
    expect(readFileSync(policyFile, 'utf8')).toBe(restored);
    await waitFor(
      async () => !(await agent.callTool({ name: 'health', arguments: {} })).isError,
      10_000,
      'the restored policy to be in force',
    );
    await page.close();
  });
});

describe('a gateway without console users', () => {
  it('answers /console and its API with 404 saying how to turn the console on, and still serves MCP', async () => {
    const dir = tempDir('airlock-console-off-');
    const config = writeGatewayConfig(
      dir,
      {
        upstreams: { mlflow: upstreams.standin() },
        policy,
        grants: [{ name: 'ops-agent', token: TOKEN }],
      },
      { prefix: randomPrefix() },
    );
    const gateway = await startGateway({ config });
    try {
      for (const path of ['/console', '/console/', '/console/policy', '/console/api/approvals']) {
        const answer = await fetch(`${gateway.baseUrl}${path}`, { redirect: 'manual' });
        expect(answer.status, path).toBe(404);
        expect(await answer.text(), path).toContain('add users to the "console" section');
      }
      const agent = await connectAgentHttp(gateway.mcpUrl, TOKEN, 'legacy');
      expect((await agent.callTool({ name: 'health', arguments: {} })).isError).toBeFalsy();
      await agent.close();
    } finally {
      await gateway.stop();
    }
  }, 60_000);
});
