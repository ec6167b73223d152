import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { describeError, type Logger } from '../shared/index.js';

export const SLACK_EVENTS_PATH = '/slack/events';
/** Slack's own rule for replays, applied both ways: a request stamped further from our clock is refused. */
export const MAX_CLOCK_SKEW_S = 5 * 60;
/** What Bolt's receiver buffers at most (its default); a larger declared body is refused unread. */
export const SLACK_BODY_LIMIT = 4 * 1024 * 1024;

export type TimestampCheck =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' }
  | { ok: false; reason: 'future' | 'past'; skewSeconds: number };

/**
 * Is `X-Slack-Request-Timestamp` within five minutes of `nowMs`, either way? Bolt refuses old
 * timestamps only, so a correctly signed request stamped in the future (a captured click
 * replayed later, or a signing clock gone wrong) would pass it.
 */
export function checkSlackTimestamp(header: string | string[] | undefined, nowMs: number): TimestampCheck {
  if (header === undefined) return { ok: false, reason: 'missing' };
  if (Array.isArray(header) || !/^\d{1,12}$/.test(header)) return { ok: false, reason: 'malformed' };
  const skewSeconds = Number(header) - Math.floor(nowMs / 1_000);
  if (skewSeconds > MAX_CLOCK_SKEW_S) return { ok: false, reason: 'future', skewSeconds };
  if (skewSeconds < -MAX_CLOCK_SKEW_S) return { ok: false, reason: 'past', skewSeconds: -skewSeconds };
  return { ok: true };
}

/**
 * Our request path in front of Bolt's HTTPReceiver listener: only POST /slack/events with a
 * signature header, a timestamp within five minutes of now and a body Bolt would accept reaches
 * Bolt, which then verifies the signature itself. Everything else is refused from the headers
 * alone, without reading the body (the listener closes refused connections).
 */
export function guardSlackRequests(options: {
  bolt: RequestListener;
  log: Logger;
  now?: () => number;
}): RequestListener {
  const now = options.now ?? Date.now;
  const { log } = options;
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== SLACK_EVENTS_PATH || req.method !== 'POST')
      return refuse(res, 404, `Not found: ${req.method ?? ''} ${path} (Slack posts to POST ${SLACK_EVENTS_PATH})`);
    if (req.headers['x-slack-signature'] === undefined)
      return refuse(res, 401, 'Unauthorized: not a signed Slack request');
    const check = checkSlackTimestamp(req.headers['x-slack-request-timestamp'], now());
    if (!check.ok) {
      if (check.reason === 'future' || check.reason === 'past') {
        log.warn(
          { reason: check.reason, skew_s: check.skewSeconds, address: req.socket.remoteAddress },
          `refused a Slack request stamped ${check.skewSeconds} s in the ${check.reason} (more than ${MAX_CLOCK_SKEW_S} s from this clock: a replay, or a clock off; check NTP)`,
        );
      } else {
        log.warn(
          { reason: check.reason, address: req.socket.remoteAddress },
          'refused a Slack request without a usable X-Slack-Request-Timestamp',
        );
      }
      return refuse(res, 401, 'Unauthorized: request timestamp missing or more than 5 minutes from now');
    }
    if (Number(req.headers['content-length'] ?? 0) > SLACK_BODY_LIMIT)
      return refuse(res, 413, `Request body over ${SLACK_BODY_LIMIT} bytes`);
    try {
      options.bolt(req, res);
    } catch (error) {
      log.error({ err: describeError(error) }, 'the Slack receiver failed on a request');
      if (!res.headersSent) refuse(res, 500, 'Internal error');
    }
  };
}

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(`${text}\n`);
}
