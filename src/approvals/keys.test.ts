import { describe, expect, it } from 'vitest';
import { APPROVAL_ID_PATTERN, ApprovalKeys, newApprovalId } from './keys.js';

describe('newApprovalId', () => {
  it('makes BullMQ-safe ids: apr_ + 20 base32 characters, no ":" and never all digits', () => {
    const ids = new Set(Array.from({ length: 1_000 }, newApprovalId));
    expect(ids.size).toBe(1_000);
    for (const id of ids) expect(id).toMatch(APPROVAL_ID_PATTERN);
  });
});

describe('ApprovalKeys', () => {
  it('puts every key under the hash-tagged prefix and encodes grants', () => {
    const keys = new ApprovalKeys();
    expect(keys.approval('apr_x')).toBe('{airlock}:approval:apr_x');
    expect(keys.pending('a:b c')).toBe('{airlock}:approval-pending:a%3Ab%20c');
    expect(keys.fingerprint('ab12')).toBe('{airlock}:approval-fp:ab12');
    expect(keys.lease('apr_x')).toBe('{airlock}:approval-lease:apr_x');
    expect(keys.channel).toBe('{airlock}:approval-events');
  });

  it('refuses a prefix without a hash tag, or with ":"', () => {
    expect(() => new ApprovalKeys('airlock')).toThrow(/hash tag/);
    expect(() => new ApprovalKeys('{air:lock}')).toThrow(/hash tag/);
    expect(new ApprovalKeys('{t1234}').prefix).toBe('{t1234}');
  });
});
