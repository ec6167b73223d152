import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APPROVE_ACTION } from '../../src/slack/index.js';
import { approvalInput, randomPrefix } from '../helpers/approvals.js';
import { connectHttp, startGateway, waitFor, type GatewayProcess } from '../helpers/gateway.js';
import { tempDir, upstreams, writeJson } from '../helpers/paths.js';
import { RawClient, requestHead } from '../helpers/raw-http.js';
import { SIGNING_SECRET, startSlackHarness, stateOf, type SlackHarness } from '../helpers/slack-bot.js';
import { buttonClick, postInteraction } from '../helpers/slack-signing.js';

/**
 * Hostile clients on both listeners (agents' /mcp, Slack's /slack/events): refusals close their
 * connection at once, slow headers and slow bodies hit deadlines while long responses (held
 * calls, the SSE stream) do not, sockets per address and sessions per grant are capped, and
 * signed Slack requests stamped far from now are refused.
 */
const HOLDER = 'hostile-holder-token-000001';
const ALPHA = 'hostile-alpha-token-0000001';
const BRAVO = 'hostile-bravo-token-0000001';
const redisUrl = `unix://${inject('redisPath')}`;
const HEADER_TIMEOUT_MS = 500;
const BODY_TIMEOUT_MS = 800;
const HOLD_MS = 2_500;
const SOCKET_CAP = 4;
const HUGE = 104_857_600;

const dir = tempDir();
const policy = writeJson(join(dir, 'policy.json'), {
  version: '1',
  default: 'deny',
  tools: { echo: {}, slow: { action: 'require_approval', approval: { approvers: ['U0APPROVER'], timeout: '10m' } } },
});
const baseConfig = {
  redis: { url: redisUrl, prefix: randomPrefix() },
  upstreams: { fixture: upstreams.fixture(join(dir, 'calls.jsonl')) },
  policy,
};

/** Short deadlines and a per-grant session cap of 2. */
let deadlines: GatewayProcess;
/** Default deadlines (10 s), SOCKET_CAP sockets per address; only raw sockets talk to it. */
let capped: GatewayProcess;
let slack: SlackHarness;
/** Its own Slack listener for the socket cap, so no pooled fetch connection counts against it. */
let slackCapped: SlackHarness;
const slackLog: string[] = [];

beforeAll(async () => {
  const logSink = new Writable({
    write: (chunk: Buffer, _enc, done) => void (slackLog.push(chunk.toString()), done()),
  });
  [deadlines, capped, slack, slackCapped] = await Promise.all([
    startGateway({
      config: writeJson(join(dir, 'deadlines.config.json'), {
        ...baseConfig,
        grants: [
          { name: 'holder', token: HOLDER, hold: `${HOLD_MS}ms` },
          { name: 'alpha', token: ALPHA },
          { name: 'bravo', token: BRAVO },
        ],
        listen: { header_timeout: `${HEADER_TIMEOUT_MS}ms`, body_timeout: `${BODY_TIMEOUT_MS}ms` },
        sessions: { max_per_grant: 2 },
      }),
    }),
    startGateway({
      config: writeJson(join(dir, 'capped.config.json'), {
        ...baseConfig,
        grants: [{ name: 'alpha', token: ALPHA }],
        listen: { max_sockets_per_address: SOCKET_CAP },
      }),
    }),
    startSlackHarness({
      redisUrl,
      slack: { listen: { host: '127.0.0.1', port: 0, header_timeout: `${HEADER_TIMEOUT_MS}ms` } },
      log: pino({ level: 'warn' }, logSink),
    }),
    startSlackHarness({ redisUrl, slack: { listen: { host: '127.0.0.1', port: 0, max_sockets_per_address: 3 } } }),
  ]);
});

afterAll(async () => {
  await Promise.all([deadlines?.stop(), capped?.stop(), slack?.close(), slackCapped?.close()]);
});

const jsonRpcError = (raw: RawClient) =>
  JSON.parse(/\{.*\}/s.exec(raw.body())![0]) as { error: { code: number; message: string; data?: unknown } };
const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const mcpHeaders = (token?: string) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
});

describe('refused requests close their connection at once', () => {
  it('/mcp: no token and a declared 100 MB body trickled byte by byte → 401, then the server closes within 1 s', async () => {
    const raw = await RawClient.connect(capped.mcpUrl);
    raw.send(requestHead('POST', capped.mcpUrl, { 'content-type': 'application/json', 'content-length': HUGE }));
    const sentAt = Date.now();
    raw.trickle(200);
    const closedAt = await raw.waitForClose(1_000);
    expect(raw.status()).toBe(401);
    expect(raw.received).toMatch(/\r\nconnection: close\r\n/i);
    expect(closedAt - sentAt).toBeLessThan(1_000);
  });

  it('/slack/events: an unsigned request with a declared 100 MB body trickled → 401, closed within 1 s, nothing read', async () => {
    const raw = await RawClient.connect(slack.bot.url!);
    raw.send(
      requestHead('POST', slack.bot.url!, {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': HUGE,
      }),
    );
    const sentAt = Date.now();
    raw.trickle(200);
    const closedAt = await raw.waitForClose(1_000);
    expect(raw.status()).toBe(401);
    expect(closedAt - sentAt).toBeLessThan(1_000);
  });
});

describe('deadlines cut slow uploads, never long responses', () => {
  it('/mcp: headers that stop half-way end with 408 and a closed socket after listen.header_timeout', async () => {
    const raw = await RawClient.connect(deadlines.mcpUrl);
    raw.send(`POST /mcp HTTP/1.1\r\nHost: ${new URL(deadlines.mcpUrl).host}\r\n`);
    const closedAt = await raw.waitForClose(HEADER_TIMEOUT_MS + 2_000);
    expect(raw.status()).toBe(408);
    expect(closedAt - raw.openedAt).toBeGreaterThanOrEqual(HEADER_TIMEOUT_MS - 50);
  });

  it('/slack/events: headers that stop half-way end with 408 and a closed socket', async () => {
    const raw = await RawClient.connect(slack.bot.url!);
    raw.send(`POST /slack/events HTTP/1.1\r\nHost: ${new URL(slack.bot.url!).host}\r\n`);
    await raw.waitForClose(HEADER_TIMEOUT_MS + 2_000);
    expect(raw.status()).toBe(408);
  });

  it('/mcp: an authenticated client that stalls its body gets 408 naming listen.body_timeout, and the socket closes', async () => {
    const raw = await RawClient.connect(deadlines.mcpUrl);
    const body = JSON.stringify(initialize);
    raw.send(
      requestHead('POST', deadlines.mcpUrl, { ...mcpHeaders(ALPHA), 'content-length': body.length }) +
        body.slice(0, 20),
    );
    const sentAt = Date.now();
    const closedAt = await raw.waitForClose(BODY_TIMEOUT_MS + 2_000);
    expect(raw.status()).toBe(408);
    expect(jsonRpcError(raw).error.message).toMatch(/not received within 800ms \(config "listen\.body_timeout"\)/u);
    expect(closedAt - sentAt).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
  });

  it("a held call outlives the header and body deadlines and gets its pending answer; the session's SSE stream stays open", async () => {
    const agent: Client = await connectHttp(deadlines.mcpUrl, HOLDER);
    const stream = await openEventStream(deadlines.mcpUrl, HOLDER);
    try {
      const started = Date.now();
      const result = await agent.request(
        { method: 'tools/call', params: { name: 'slow', arguments: { ms: 1, steps: 1 } } },
        CallToolResultSchema,
        { timeout: 30_000 },
      );
      const elapsed = Date.now() - started;
      expect(result.structuredContent).toMatchObject({
        status: 'pending',
        approval_id: expect.stringMatching(/^apr_/u),
      });
      // Held well past both deadlines (and Node's check interval): they cover receiving a request, not answering it.
      expect(elapsed).toBeGreaterThanOrEqual(HOLD_MS - 100);
      expect(elapsed).toBeGreaterThan(HEADER_TIMEOUT_MS + BODY_TIMEOUT_MS + 500);
      expect(stream.response.statusCode).toBe(200);
      expect(stream.closed()).toBe(false);
      expect(Date.now() - stream.openedAt).toBeGreaterThan(HEADER_TIMEOUT_MS + BODY_TIMEOUT_MS);
      expect((await agent.listTools()).tools.map((t) => t.name)).toContain('echo');
    } finally {
      stream.response.destroy();
      await agent.close();
    }
  });
});

describe('open sockets per client address are capped', () => {
  it('/mcp: with cap+1 sockets from loopback the extra one is closed at once; the others still work, and a slot frees up on close', async () => {
    const held: RawClient[] = [];
    for (let i = 0; i < SOCKET_CAP; i++) held.push(await RawClient.connect(capped.mcpUrl));
    const extra = await RawClient.connect(capped.mcpUrl);
    await extra.waitForClose(1_000);
    expect(extra.received).toBe('');
    for (const raw of held) {
      expect(raw.isClosed).toBe(false);
      raw.send(requestHead('GET', capped.baseUrl + '/healthz'));
    }
    await waitFor(() => held.every((raw) => raw.status() === 200), 5_000, 'every held socket answered');
    for (const raw of held) raw.destroy();
    await waitFor(
      async () => {
        const probe = await RawClient.connect(capped.mcpUrl);
        probe.send(requestHead('GET', capped.baseUrl + '/healthz'));
        await waitFor(() => probe.status() !== undefined || probe.isClosed, 2_000, 'the probe answered or closed');
        probe.destroy();
        return probe.status() === 200;
      },
      5_000,
      'a new connection once the held ones closed',
    );
    expect(capped.stderr()).toMatch(
      /refused a connection from 127\.0\.0\.1: it already has 4 open \(listen\.max_sockets_per_address\)/u,
    );
  });

  it('/slack/events: the same cap on the Slack listener', async () => {
    const url = slackCapped.bot.url!;
    const held = [await RawClient.connect(url), await RawClient.connect(url), await RawClient.connect(url)];
    const extra = await RawClient.connect(url);
    await extra.waitForClose(1_000);
    expect(extra.received).toBe('');
    for (const raw of held) raw.send(requestHead('POST', url, { 'content-length': 0 }));
    await waitFor(() => held.every((raw) => raw.status() === 401), 5_000, 'every held socket answered (unsigned: 401)');
    for (const raw of held) raw.destroy();
  });
});

describe('sessions per grant are capped', () => {
  it('a grant at sessions.max_per_grant gets 429 naming the grant, the cap and what to do; another grant still initializes and calls', async () => {
    const alphas = [await connectHttp(deadlines.mcpUrl, ALPHA), await connectHttp(deadlines.mcpUrl, ALPHA)];
    try {
      const refused = await fetch(deadlines.mcpUrl, {
        method: 'POST',
        headers: mcpHeaders(ALPHA),
        body: JSON.stringify(initialize),
      });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('connection')).toBe('close');
      const { error } = (await refused.json()) as { error: { code: number; message: string; data: unknown } };
      expect(error.code).toBe(-32000);
      expect(error.message).toMatch(
        /^Too many sessions for grant "alpha": it has 2 open and may have 2 \(sessions\.max_per_grant\)\. Close MCP clients of this grant/u,
      );
      expect(error.data).toMatchObject({ grant: 'alpha', max_sessions: 2, open: 2 });

      const bravo = await connectHttp(deadlines.mcpUrl, BRAVO);
      try {
        const echoed = await bravo.callTool({ name: 'echo', arguments: { text: 'still here' } });
        expect(echoed.content).toEqual([{ type: 'text', text: 'still here' }]);
      } finally {
        await bravo.close();
      }
    } finally {
      await Promise.all(alphas.map((a) => a.close()));
    }
  });
});

describe('Slack requests stamped far from now are refused', () => {
  it('refuses a correctly signed click stamped 10 minutes ahead or behind (401, logged at warn without secrets); the approval stays pending; a current one approves', async () => {
    const { approval } = await slack.engine.request(approvalInput());
    const message = await slack.posted(approval.id);
    const responseUrl = slack.fake.responseUrl();
    const payload = buttonClick({
      actionId: APPROVE_ACTION,
      approvalId: approval.id,
      user: 'U0APPROVER',
      channel: message.channel,
      ts: message.ts,
      responseUrl,
    });
    const now = Math.floor(Date.now() / 1_000);

    expect(await postInteraction(slack.bot.url!, SIGNING_SECRET, payload, { timestamp: now + 600 })).toBe(401);
    expect(await postInteraction(slack.bot.url!, SIGNING_SECRET, payload, { timestamp: now - 600 })).toBe(401);
    expect(await stateOf(slack.engine, approval.id)).toBe('pending');
    expect(slack.answers(responseUrl)).toEqual([]);
    const refusals = slackLog.filter((line) => line.includes('refused a Slack request stamped'));
    expect(refusals.some((line) => /"reason":"future".*in the future/u.test(line))).toBe(true);
    expect(refusals.some((line) => /"reason":"past".*in the past/u.test(line))).toBe(true);
    expect(slackLog.join('')).not.toContain(SIGNING_SECRET);
    expect(slackLog.join('')).not.toContain('v0=');

    expect(await postInteraction(slack.bot.url!, SIGNING_SECRET, payload)).toBe(200);
    await waitFor(
      async () => (await stateOf(slack.engine, approval.id)) === 'approved',
      10_000,
      'approved by the current click',
    );
  });
});

/** A session opened with raw requests, and its standalone SSE GET stream (the SDK client opens its own, and a session has only one). */
async function openEventStream(
  mcpUrl: string,
  token: string,
): Promise<{ response: IncomingMessage; openedAt: number; closed: () => boolean }> {
  const init = await fetch(mcpUrl, { method: 'POST', headers: mcpHeaders(token), body: JSON.stringify(initialize) });
  const sessionId = init.headers.get('mcp-session-id')!;
  await init.text();
  const session = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
  const initialized = await fetch(mcpUrl, {
    method: 'POST',
    headers: { ...mcpHeaders(token), ...session },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await initialized.text();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      mcpUrl,
      { method: 'GET', headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, ...session } },
      (response) => {
        let closed = false;
        response.once('close', () => (closed = true));
        resolve({ response, openedAt: Date.now(), closed: () => closed });
      },
    );
    req.once('error', reject);
    req.end();
  });
}
