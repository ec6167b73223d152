import { describe, expect, it } from 'vitest';
import { rateLimitedMessage } from './outcome.js';

describe('rateLimitedMessage', () => {
  it('names the counter, its max and window, the scope and when to retry', () => {
    const message = rateLimitedMessage({
      counter: 'copy_model_version_rate',
      max: 30,
      window: 'minute',
      scope: 'grant',
      retryAfterMs: 11_200,
    });
    expect(message.text).toBe(
      'Rate limited: counter "copy_model_version_rate" allows 30 calls per minute (scope: grant). Retry after 12 s.',
    );
    expect(message.structuredContent).toEqual({
      status: 'rate_limited',
      counter: 'copy_model_version_rate',
      max: 30,
      window: 'minute',
      retry_after_ms: 11_200,
    });
  });

  it('reads well for one call and a duration window', () => {
    const message = rateLimitedMessage({
      counter: 'deploys',
      max: 1,
      window: '15m',
      scope: 'global',
      retryAfterMs: 600_000,
    });
    expect(message.text).toBe(
      'Rate limited: counter "deploys" allows 1 call per 15m (scope: global). Retry after 10 min.',
    );
  });
});
