import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the Slack Web API (`slackApiUrl`) and for response_url endpoints. It
 * records every call and rejects what the real API rejects (checked independently of
 * src/slack's own limits): more than 50 blocks, section text over 3,000 characters, a field over
 * 2,000, a header over 150, a button value over 2,000 → invalid_blocks; no `text` → no_text.
 * Failures can be scripted (HTTP 500, or 429 with Retry-After) for the next calls.
 */
export interface FakeCall {
  method: string;
  /** The request path (response_url calls differ only by it). */
  path: string;
  /** Form fields / JSON body; `blocks` and `view` parsed from their JSON strings. */
  body: Record<string, unknown>;
  token: string | undefined;
  /** What the fake answered: an HTTP status, and Slack's `error` when ok was false. */
  status: number;
  error?: string;
  at: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  threadTs?: string;
  updates: number;
}

type Failure = { status: 500 } | { status: 429; retryAfter: number };

export class FakeSlack {
  readonly calls: FakeCall[] = [];
  readonly messages = new Map<string, FakeMessage>();
  /** usergroups.users.list answers. */
  readonly groups = new Map<string, string[]>();
  /** auth.test answers this error (e.g. invalid_auth) when set. */
  authError: string | undefined;
  /** Channels chat.postMessage answers channel_not_found for. */
  readonly missingChannels = new Set<string>();
  private failures: { failure: Failure; methods?: readonly string[] }[] = [];
  private seq = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeSlack> {
    // Requests only arrive once it listens, after `fake` exists.
    const server = createServer((req, res) => void fake.handle(req, res));
    const fake = new FakeSlack(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  responseUrl(name = String(++this.seq)): string {
    return `http://127.0.0.1:${this.port}/response/${name}`;
  }

  /** The next `count` calls (of `methods`, if given) fail with this answer. */
  failNext(count: number, failure: Failure, methods?: readonly string[]): void {
    for (let i = 0; i < count; i++) this.failures.push({ failure, ...(methods === undefined ? {} : { methods }) });
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Accepted calls only. */
  ok(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200 && c.error === undefined);
  }

  /** The approval message (top-level message whose blocks carry this approval id). */
  messageFor(approvalId: string): FakeMessage | undefined {
    return [...this.messages.values()].find(
      (m) => m.threadTs === undefined && JSON.stringify(m.blocks).includes(approvalId),
    );
  }

  /** Top-level approval messages, each with the approval id its blocks carry, oldest first. */
  approvalMessages(): (FakeMessage & { approvalId: string })[] {
    return [...this.messages.values()].flatMap((m) => {
      const approvalId = m.threadTs === undefined ? /apr_[a-z2-7]{20}/u.exec(JSON.stringify(m.blocks))?.[0] : undefined;
      return approvalId === undefined ? [] : [{ ...m, approvalId }];
    });
  }

  threadReplies(ts: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.threadTs === ts);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = url.pathname.startsWith('/api/')
      ? url.pathname.slice('/api/'.length)
      : url.pathname.startsWith('/response/')
        ? 'response_url'
        : url.pathname;
    const body = parseBody(raw, req.headers['content-type']);
    const auth = req.headers.authorization;
    const call: FakeCall = {
      method,
      path: url.pathname,
      body,
      token: auth?.startsWith('Bearer ') ? auth.slice(7) : (body.token as string | undefined),
      status: 200,
      at: Date.now(),
    };
    this.calls.push(call);

    const index = this.failures.findIndex((f) => f.methods === undefined || f.methods.includes(method));
    if (index >= 0) {
      const [{ failure }] = this.failures.splice(index, 1) as [{ failure: Failure }];
      call.status = failure.status;
      if (failure.status === 429)
        res
          .writeHead(429, { 'retry-after': String(failure.retryAfter), 'content-type': 'application/json' })
          .end('{"ok":false,"error":"ratelimited"}');
      else res.writeHead(500, { 'content-type': 'text/plain' }).end('internal server error');
      return;
    }
    const answer = this.answer(method, body);
    if (answer.ok === false) call.error = String(answer.error);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  private answer(method: string, body: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        if (this.authError !== undefined) return { ok: false, error: this.authError };
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'airlock',
          team_id: 'T0FAKE',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        };
      case 'chat.postMessage': {
        if (this.missingChannels.has(String(body.channel))) return { ok: false, error: 'channel_not_found' };
        const problem = messageProblem(body);
        if (problem !== undefined) return { ok: false, error: problem };
        const ts = `${Math.floor(Date.now() / 1_000)}.${String(++this.seq).padStart(6, '0')}`;
        const channel = String(body.channel);
        const message: FakeMessage = {
          channel,
          ts,
          text: String(body.text),
          blocks: (body.blocks as unknown[]) ?? [],
          updates: 0,
        };
        if (typeof body.thread_ts === 'string') message.threadTs = body.thread_ts;
        this.messages.set(ts, message);
        return { ok: true, channel, ts, message: { text: body.text, ts } };
      }
      case 'chat.update': {
        const existing = this.messages.get(String(body.ts));
        if (existing === undefined || existing.channel !== body.channel)
          return { ok: false, error: 'message_not_found' };
        const problem = messageProblem(body);
        if (problem !== undefined) return { ok: false, error: problem };
        existing.text = String(body.text);
        existing.blocks = (body.blocks as unknown[]) ?? [];
        existing.updates += 1;
        return { ok: true, channel: existing.channel, ts: existing.ts, text: body.text };
      }
      case 'chat.postEphemeral':
        if (typeof body.text !== 'string' || body.text === '') return { ok: false, error: 'no_text' };
        return { ok: true, message_ts: `${Math.floor(Date.now() / 1_000)}.${String(++this.seq).padStart(6, '0')}` };
      case 'views.open': {
        const view = body.view as
          { type?: string; title?: { text?: string }; blocks?: unknown[]; private_metadata?: string } | undefined;
        if (typeof body.trigger_id !== 'string') return { ok: false, error: 'invalid_trigger_id' };
        if (
          view?.type !== 'modal' ||
          (view.title?.text?.length ?? 0) > 24 ||
          (view.blocks?.length ?? 0) > 100 ||
          (view.private_metadata?.length ?? 0) > 3_000
        ) {
          return { ok: false, error: 'invalid_arguments' };
        }
        const problem = blocksProblem(view.blocks ?? []);
        if (problem !== undefined) return { ok: false, error: problem };
        return { ok: true, view: { id: `V${++this.seq}` } };
      }
      case 'usergroups.users.list': {
        const members = this.groups.get(String(body.usergroup));
        return members === undefined ? { ok: false, error: 'no_such_subteam' } : { ok: true, users: members };
      }
      case 'response_url':
        return { ok: true };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const body: Record<string, unknown> = Object.fromEntries(new URLSearchParams(raw));
  for (const key of ['blocks', 'view', 'attachments']) {
    if (typeof body[key] === 'string') body[key] = JSON.parse(body[key] as string);
  }
  return body;
}

function messageProblem(body: Record<string, unknown>): string | undefined {
  if (typeof body.text !== 'string' || body.text.trim() === '') return 'no_text';
  return blocksProblem((body.blocks as unknown[]) ?? []);
}

type AnyBlock = {
  type?: string;
  text?: { text?: string };
  fields?: { text?: string }[];
  elements?: { type?: string; value?: string; text?: { text?: string } | string; action_id?: string }[];
};

function blocksProblem(blocks: unknown[]): string | undefined {
  if (!Array.isArray(blocks)) return 'invalid_blocks_format';
  if (blocks.length > 50) return 'invalid_blocks';
  for (const block of blocks as AnyBlock[]) {
    if (block.type === 'section') {
      if ((block.text?.text?.length ?? 0) > 3_000) return 'invalid_blocks';
      if ((block.fields?.length ?? 0) > 10 || block.fields?.some((f) => (f.text?.length ?? 0) > 2_000))
        return 'invalid_blocks';
    }
    if (block.type === 'header' && (block.text?.text?.length ?? 0) > 150) return 'invalid_blocks';
    if (block.type === 'context' && (block.elements?.length ?? 0) > 10) return 'invalid_blocks';
    if (block.type === 'actions') {
      for (const e of block.elements ?? []) {
        if (e.type !== 'button') continue;
        if ((e.value?.length ?? 0) > 2_000 || (e.action_id?.length ?? 0) > 255) return 'invalid_blocks';
        if (typeof e.text === 'object' && (e.text.text?.length ?? 0) > 75) return 'invalid_blocks';
      }
    }
  }
  return undefined;
}
