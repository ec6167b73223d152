import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http/index.js';

/** The console's small HTTP vocabulary: refusals with a status and code, bodies, and answers. */

const MAX_BODY = 256 * 1024;

/** A request refused with a status and a code the JSON API answers as {error: {code, message}}. */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** The body as text; policy files are the largest thing posted, so the cap is theirs. */
export async function bodyText(req: IncomingMessage): Promise<string> {
  const read = await readBody(req, { maxBytes: MAX_BODY, timeoutMs: 10_000 });
  if (read.kind !== 'ok')
    throw new HttpRefusal(
      413,
      'body_unreadable',
      read.kind === 'too_large' ? `request body over ${MAX_BODY} bytes` : `request body ${read.kind}`,
    );
  return read.text;
}

export async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await bodyText(req));
}

export async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await bodyText(req);
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpRefusal(400, 'bad_json', 'expected a JSON object body, e.g. {"reason": "…"}');
}

export function page(res: ServerResponse, status: number, body: string): void {
  res
    .writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
      'referrer-policy': 'same-origin',
    })
    .end(body);
}

export function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store' }).end();
}
