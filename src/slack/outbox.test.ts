import { describe, expect, it } from 'vitest';
import { backoffDelay, classifySlackError } from './outbox.js';

describe('classifySlackError', () => {
  it('honours a 429 Retry-After', () => {
    expect(
      classifySlackError({ code: 'slack_webapi_rate_limited_error', retryAfter: 7, message: 'rate limited' }),
    ).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7_000, final: false });
  });

  it('retries network failures, HTTP 5xx and transient platform errors', () => {
    expect(classifySlackError({ code: 'slack_webapi_request_error', message: 'ECONNREFUSED' })).toMatchObject({
      kind: 'unreachable',
      final: false,
    });
    expect(classifySlackError({ code: 'slack_webapi_http_error', statusCode: 503 })).toMatchObject({
      kind: 'unreachable',
      final: false,
    });
    expect(
      classifySlackError({ code: 'slack_webapi_platform_error', data: { error: 'internal_error' } }),
    ).toMatchObject({ kind: 'unreachable', final: false });
  });

  it('gives up on answers no retry fixes', () => {
    for (const error of ['channel_not_found', 'not_in_channel', 'invalid_blocks', 'invalid_auth', 'msg_too_long']) {
      expect(classifySlackError({ code: 'slack_webapi_platform_error', data: { error } })).toMatchObject({
        kind: 'rejected',
        final: true,
      });
    }
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const retry = { attempts: 12, initialDelayMs: 1_000, maxDelayMs: 60_000 };
    expect([1, 2, 3, 4, 6, 7, 8, 12].map((n) => backoffDelay(n, retry))).toEqual([
      1_000, 2_000, 4_000, 8_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });
});
