import { describe, expect, it } from 'vitest';
import {
  ApprovalKeys,
  auditStreamKey,
  checkPrefix,
  DEFAULT_PREFIX,
  LimitKeys,
  SlackKeys,
  decodeSegment,
  encodeSegment,
} from './keys.js';

const who = { grant: 'ci-runner', session: 'sess-1' };

describe('checkPrefix', () => {
  it('accepts exactly one hash tag and says what it expects otherwise', () => {
    for (const good of ['{airlock}', '{t1234}', '{t[1]*}', '{airlock-test-ab12}']) expect(checkPrefix(good)).toBe(good);
    for (const bad of ['', 'airlock', '{air:lock}', 'x{airlock}', '{airlock}x', '{a}{b}', '{}', '{a{b}']) {
      expect(() => checkPrefix(bad)).toThrow(/the Redis key prefix must be one hash tag like "\{airlock\}"/u);
    }
  });
});

describe('ApprovalKeys', () => {
  it('puts every key under the hash-tagged prefix and encodes grants', () => {
    const keys = new ApprovalKeys();
    expect(keys.approval('apr_x')).toBe('{airlock}:approval:apr_x');
    expect(keys.pending('a:b c')).toBe('{airlock}:approval-pending:a%3Ab%20c');
    expect(keys.fingerprint('ab12')).toBe('{airlock}:approval-fp:ab12');
    expect(keys.lease('apr_x')).toBe('{airlock}:approval-lease:apr_x');
    expect(keys.waiters('apr_x')).toBe('{airlock}:approval-waiters:apr_x');
    expect(keys.channel).toBe('{airlock}:approval-events');
  });

  it('refuses a prefix without a hash tag, or with ":"', () => {
    expect(() => new ApprovalKeys('airlock')).toThrow(/hash tag/);
    expect(() => new ApprovalKeys('{air:lock}')).toThrow(/hash tag/);
    expect(new ApprovalKeys('{t1234}').prefix).toBe('{t1234}');
  });
});

describe('encodeSegment', () => {
  it('keeps plain names readable and round-trips anything', () => {
    expect(encodeSegment('copy_model_version_rate')).toBe('copy_model_version_rate');
    for (const text of ['mlflow:copy_model', 'a%3Ab', '{x}*?[]\\', 'ünïcode ✓', 'a b/c']) {
      expect(encodeSegment(text)).toMatch(/^[A-Za-z0-9_.%-]+$/u);
      expect(decodeSegment(encodeSegment(text))).toBe(text);
    }
  });
});

describe('LimitKeys', () => {
  it('puts every key under the hash-tagged prefix, one layout per scope', () => {
    const keys = new LimitKeys();
    expect(keys.prefix).toBe(DEFAULT_PREFIX);
    expect(keys.log('c', 'grant', who)).toBe('{airlock}:limit:c:grant:ci-runner');
    expect(keys.log('c', 'session', who)).toBe('{airlock}:limit:c:session:ci-runner:sess-1');
    expect(keys.log('c', 'global', who)).toBe('{airlock}:limit:c:global');
    expect(keys.metaOf(keys.log('c', 'global', who))).toBe('{airlock}:limit-meta:c:global');
  });

  it('a ":" in a counter or id cannot collide with another key', () => {
    const keys = new LimitKeys('{t}');
    const a = keys.log('a:grant:x', 'global', who);
    const b = keys.log('a', 'grant', { grant: 'x:global', session: '' });
    expect(a).not.toBe(b);
    expect(keys.parseLog(a)).toEqual({ counter: 'a:grant:x', scope: 'global', scopeId: '' });
    expect(keys.parseLog(b)).toEqual({ counter: 'a', scope: 'grant', scopeId: 'x:global', grant: 'x:global' });
  });

  it('parses what it builds and rejects anything else', () => {
    const keys = new LimitKeys('{t}');
    const log = keys.log('srv:tool', 'session', { grant: 'g', session: 's:1' });
    expect(keys.parseLog(log)).toEqual({ counter: 'srv:tool', scope: 'session', scopeId: 's:1', grant: 'g' });
    expect(keys.logOfMeta(keys.metaOf(log))).toBe(log);
    for (const bad of [
      '{t}:limit:c',
      '{t}:limit:c:grant',
      '{t}:limit:c:grant:a:b',
      '{t}:limit:c:global:x',
      '{t}:limit:c:other:x',
      '{u}:limit:c:global',
    ]) {
      expect(keys.parseLog(bad)).toBeUndefined();
    }
    expect(keys.logOfMeta(log)).toBeUndefined();
  });

  it('escapes glob characters of the prefix in SCAN patterns', () => {
    const keys = new LimitKeys('{t[1]*}');
    expect(keys.logPattern()).toBe('{t\\[1\\]\\*}:limit:*');
    expect(keys.logPattern('a*b')).toBe('{t\\[1\\]\\*}:limit:a%2Ab:*');
    expect(keys.metaPattern('c')).toBe('{t\\[1\\]\\*}:limit-meta:c:*');
  });

  it('refuses an empty prefix', () => {
    expect(() => new LimitKeys('')).toThrow(/prefix/u);
  });
});

describe('the audit stream and Slack keys', () => {
  it('live under the prefix, clear of the BullMQ queues `<prefix>:slack:…` and `<prefix>:approvals:…`', () => {
    expect(auditStreamKey('{t}')).toBe('{t}:audit');
    const keys = new SlackKeys('{t}');
    expect(keys.message('apr_x')).toBe('{t}:slack-message:apr_x');
    expect(keys.lock('apr_x')).toBe('{t}:slack-lock:apr_x');
    expect(keys.pausedUntil).toBe('{t}:slack-paused-until');
  });
});
