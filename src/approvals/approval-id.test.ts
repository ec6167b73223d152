import { describe, expect, it } from 'vitest';
import { APPROVAL_ID_PATTERN, newApprovalId } from './approval-id.js';

describe('newApprovalId', () => {
  it('makes BullMQ-safe ids: apr_ + 20 base32 characters, no ":" and never all digits', () => {
    const ids = new Set(Array.from({ length: 1_000 }, newApprovalId));
    expect(ids.size).toBe(1_000);
    for (const id of ids) expect(id).toMatch(APPROVAL_ID_PATTERN);
  });
});
