import { describe, expect, it } from 'vitest';
import { hashFromReply, requestFields, viewFromHash } from './schema.js';

describe('viewFromHash', () => {
  it('rebuilds the view the scripts wrote, approvals in order', () => {
    const fields = requestFields({
      id: 'apr_x',
      grant: 'g',
      server: 's',
      tool: 't',
      args: { b: 1 },
      fingerprint: 'f',
      rule: '/tools/t',
      approvers: ['U1', 'U2'],
      minApprovals: 2,
      allowSelfApproval: false,
      timeout: '15m',
      reservation: { r: 1 },
    });
    const hash = hashFromReply([
      ...fields,
      'state',
      'pending',
      'version',
      '3',
      'createdAt',
      '1000',
      'expiresAt',
      '2000',
      'approvalCount',
      '1',
      'approver:1',
      'U1',
      'approvedAt:1',
      '1500',
    ]);
    const view = viewFromHash(hash);
    expect(view).toMatchObject({
      id: 'apr_x',
      state: 'pending',
      args: { b: 1 },
      argsSummary: 'b=1',
      approvals: [{ approver: 'U1', at: 1500 }],
      version: 3,
      collected: false,
    });
    expect(view).not.toHaveProperty('owner');
    expect(view).not.toHaveProperty('reservation');
  });

  it('throws on a malformed record', () => {
    expect(() => viewFromHash({ id: 'apr_x', state: 'limbo' })).toThrow(/apr_x in Redis is malformed/);
  });
});
