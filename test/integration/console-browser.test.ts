/**
 * Issue 17, the console's pending page, login and API, in real headless Chromium against real
 * `airlock serve` processes and real SDK agents: log in, see a held call, approve it (the agent
 * gets the stand-in's result), deny with a reason (the agent reads it), a call held through a
 * second process appears without reload, nothing without login, cross-site posts refused, a
 * one-time link works once. Screenshots go to .airlock/artifacts/.
 */
import { execFile } from 'node:child_process';
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

const TOKEN = 'console-agent-token-0123456789';
const APPROVER = 'U0ALICE01';
const PASSWORD = 'alice-password-123';
const ROBOT_TOKEN = 'robot-console-token-0123456789abc';

const policy = {
  version: '1',
  default: 'deny',
  tools: {
    health: { action: 'allow' },
    copy_model_version: {
      action: 'require_approval',
      reason: 'promotions need a human',
      approval: { approvers: [APPROVER], timeout: '1h' },
    },
  },
};

const copy = (dst: string) => ({ src_model_name: 'fraud-detector-dev', src_version: '1', dst_model_name: dst });
const text = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');

describe('the web console in a real browser', () => {
  let first: GatewayProcess;
  let second: GatewayProcess;
  let config: string;
  let browser: Browser;
  const agents: Client[] = [];

  beforeAll(async () => {
    const dir = tempDir('airlock-console-');
    config = writeGatewayConfig(
      dir,
      {
        upstreams: { mlflow: upstreams.standin() },
        policy,
        grants: [{ name: 'console-agent', token: TOKEN, owner: 'U0OWNER01' }],
        console: {
          users: [
            { name: 'alice', user_id: APPROVER, password_hash: await hashPassword(PASSWORD) },
            { name: 'robot', user_id: 'U0ROBOT01', token: ROBOT_TOKEN },
          ],
        },
      },
      { prefix: randomPrefix() },
    );
    [first, second] = await Promise.all([startGateway({ config }), startGateway({ config })]);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close().catch(() => {})));
    await browser?.close();
    await Promise.all([first?.stop(), second?.stop()]);
  });

  async function agentOn(gateway: GatewayProcess): Promise<Client> {
    const agent = await connectAgentHttp(gateway.mcpUrl, TOKEN, 'legacy');
    agents.push(agent);
    return agent;
  }

  /** A one-time login link for `user`, as `airlock console login-link` prints it. */
  async function loginLink(user: string): Promise<string> {
    const args = [CLI, 'console', 'login-link', '--config', config, '--as', user, '--url', first.baseUrl];
    const { stdout } = await promisify(execFile)(process.execPath, args);
    return stdout.trim();
  }

  async function logIn(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${first.baseUrl}/console/`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel('Name').fill('alice');
    await page.getByLabel('Password or token').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${first.baseUrl}/console/`);
    return page;
  }

  it('serves nothing without login: pages redirect to the login form, the API answers 401', async () => {
    const pageAnswer = await fetch(`${first.baseUrl}/console/history`, { redirect: 'manual' });
    expect(pageAnswer.status).toBe(303);
    expect(pageAnswer.headers.get('location')).toBe('/console/login');
    const api = await fetch(`${first.baseUrl}/console/api/approvals`);
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    const fragment = await fetch(`${first.baseUrl}/console/fragments/pending`, { redirect: 'manual' });
    expect(fragment.status).toBe(303);
    expect(
      (await fetch(`${first.baseUrl}/console/api/approvals`, { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
  });

  it("logs in, shows a held call, and Approve releases it: the agent gets the stand-in's result", async () => {
    const page = await logIn();
    const agent = await agentOn(first);
    const held = agent.callTool({ name: 'copy_model_version', arguments: copy('fraud-detector-approved') });
    const item = page.locator('li.approval', { hasText: 'fraud-detector-approved' });
    await item.waitFor({ timeout: 15_000 });
    await expect(item.textContent()).resolves.toContain('promotions need a human');
    expect(await item.textContent()).toContain('0 of 1');
    expect(await item.textContent()).toContain('owner U0OWNER01');
    expect(await item.textContent()).toContain('waiting — its request is held open');
    await page.screenshot({ path: join(ARTIFACTS, 'console-pending-laptop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(ARTIFACTS, 'console-pending-phone.png'), fullPage: true });
    await item.getByRole('button', { name: 'Approve' }).click();
    const result = await held;
    expect(result.isError).toBeFalsy();
    expect(text(result)).toContain('fraud-detector-approved');
    await page.locator('#notice', { hasText: 'Approved' }).waitFor();
    await item.waitFor({ state: 'detached' });
    await page.goto(`${first.baseUrl}/console/history`);
    const row = page.locator('tr', { hasText: 'copy_model_version' }).first();
    expect(await row.textContent()).toContain(APPROVER);
    expect(await row.textContent()).toMatch(/executed \(ok\)/u);
    await page.close();
  });

  it('Deny with a reason reaches the agent', async () => {
    const page = await logIn();
    const agent = await agentOn(first);
    const held = agent.callTool({ name: 'copy_model_version', arguments: copy('fraud-detector-denied') });
    const item = page.locator('li.approval', { hasText: 'fraud-detector-denied' });
    await item.waitFor({ timeout: 15_000 });
    await item.getByLabel('Reason for denying').fill('not before the audit on Friday');
    await item.getByRole('button', { name: 'Deny' }).click();
    const result = await held;
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('not before the audit on Friday');
    await page.close();
  });

  it('shows whether the agent still waits: a held request that goes away turns the item to detached, live', async () => {
    const page = await logIn();
    const agent = await agentOn(second);
    const gone = new AbortController();
    const held = agent.callTool(
      { name: 'copy_model_version', arguments: copy('fraud-detector-detached') },
      {
        signal: gone.signal,
      },
    );
    const item = page.locator('li.approval', { hasText: 'fraud-detector-detached' });
    await item.locator('dd', { hasText: 'waiting — its request is held open' }).waitFor({ timeout: 15_000 });
    gone.abort();
    await expect(held).rejects.toThrow();
    // The second process saw the cancellation; the first process's page re-renders from the change.
    await item.locator('dd', { hasText: 'detached — no request is open' }).waitFor({ timeout: 15_000 });
    const robot = { authorization: `Bearer ${ROBOT_TOKEN}` };
    const answer = await fetch(`${first.baseUrl}/console/api/approvals?state=pending`, { headers: robot });
    const { approvals } = (await answer.json()) as {
      approvals: { args: { dst_model_name: string }; agentsWaiting?: number }[];
    };
    expect(approvals.find((a) => a.args.dst_model_name === 'fraud-detector-detached')?.agentsWaiting).toBe(0);
    await page.close();
  });

  it('a call held through another Airlock process appears in the open page without reload', async () => {
    const page = await logIn();
    let navigations = 0;
    page.on('framenavigated', () => (navigations += 1));
    const agent = await agentOn(second);
    const held = agent.callTool({ name: 'copy_model_version', arguments: copy('fraud-detector-elsewhere') });
    const item = page.locator('li.approval', { hasText: 'fraud-detector-elsewhere' });
    await item.waitFor({ timeout: 15_000 });
    expect(navigations).toBe(0);
    // Approved from the first process's page; the second process, which holds it, releases it.
    await item.getByRole('button', { name: 'Approve' }).click();
    expect((await held).isError).toBeFalsy();
    await page.close();
  });

  it('refuses cross-site posts (Origin, Sec-Fetch-Site, missing CSRF) and takes bearer tokens for scripts', async () => {
    const page = await logIn();
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'airlock_console')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Strict');
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const agent = await agentOn(first);
    const held = agent.callTool({ name: 'copy_model_version', arguments: copy('fraud-detector-api') });
    let id: string | undefined;
    const robot = { authorization: `Bearer ${ROBOT_TOKEN}` };
    await waitFor(
      async () => {
        const answer = await fetch(`${first.baseUrl}/console/api/approvals?state=pending`, { headers: robot });
        const { approvals } = (await answer.json()) as {
          approvals: { id: string; args: { dst_model_name: string } }[];
        };
        id = approvals.find((a) => a.args.dst_model_name === 'fraud-detector-api')?.id;
        return id !== undefined;
      },
      15_000,
      'the held call in the API',
    );
    const url = `${first.baseUrl}/console/api/approvals/${id}/approve`;
    const cookie = `airlock_console=${session.value}`;
    const post = (headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', cookie, ...headers }, body: '{}' });
    const crossSite = await post({ 'x-csrf-token': csrf!, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { error: { code: string } }).error.code).toBe('cross_site');
    expect((await post({ 'x-csrf-token': csrf!, origin: 'http://evil.example' })).status).toBe(403);
    const noCsrf = await post({});
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe('csrf_invalid');
    // The bearer user is not an approver: engine.decide() refuses, as for Slack and the CLI.
    const robotTry = await fetch(url, { method: 'POST', headers: robot, body: '{"reason":"x"}' });
    const robotError = ((await robotTry.json()) as { error: { code: string; message: string } }).error;
    expect(robotTry.status).toBe(403);
    expect(robotError.code).toBe('not_an_approver');
    expect(robotError.message).toContain('U0ROBOT01');
    // Still pending after all that; then the real approver, with the page's CSRF token.
    const approved = await post({ 'x-csrf-token': csrf!, origin: first.baseUrl });
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as { result: string }).result).toBe('approved');
    expect((await held).isError).toBeFalsy();
    await page.close();
  });

  it('throttles password guessing: after 10 failures for a name even the right secret waits, a login link still works', async () => {
    const attempt = (password: string) =>
      fetch(`${first.baseUrl}/console/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'robot', password }).toString(),
      });
    for (let i = 0; i < 10; i++) expect((await attempt(`wrong-${i}`)).status).toBe(401);
    // Counted in Redis: the second process refuses the right token too.
    const refused = await fetch(`${second.baseUrl}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'robot', password: ROBOT_TOKEN }).toString(),
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(await refused.text()).toContain('Too many failed logins for this name');
    // Another name from the same address is not locked out by robot's failures.
    const page = await logIn();
    await page.close();
    // Bearer tokens are not passwords: scripts keep working.
    const api = await fetch(`${first.baseUrl}/console/api/me`, { headers: { authorization: `Bearer ${ROBOT_TOKEN}` } });
    expect(api.status).toBe(200);
    // A one-time link logs the throttled name in: the way back that needs no password.
    const viaLink = await fetch(await loginLink('robot'), { redirect: 'manual' });
    expect(viaLink.status).toBe(303);
    expect(viaLink.headers.get('set-cookie')).toContain('airlock_console=');
  });

  it('a one-time login link (airlock console login-link) logs in once', async () => {
    const link = await loginLink('alice');
    expect(link).toMatch(/\/console\/login\?once=[A-Za-z0-9_-]{20,}$/u);
    const page = await browser.newPage();
    await page.goto(link);
    expect(new URL(page.url()).pathname).toBe('/console/');
    await page.getByRole('heading', { name: 'Pending approvals' }).waitFor();
    const again = await browser.newPage();
    const answer = await again.goto(link);
    expect(answer?.status()).toBe(403);
    expect(await again.textContent('body')).toContain('used, expired or unknown');
    await Promise.all([page.close(), again.close()]);
  });
});
