import { describe, expect, it } from 'vitest';
import { authorizeDecision, noGroups } from './authorize.js';

const view = {
  id: 'apr_x',
  grant: 'ci-agent',
  owner: 'U0OWNER',
  approvers: ['U0OWNER', 'U0ALICE', 'S0PLATFORM'],
  allowSelfApproval: false,
};
const groups = async (id: string) => (id === 'S0PLATFORM' ? ['U0BOB'] : []);

describe('authorizeDecision', () => {
  it('admits a listed user and a member of a listed group', async () => {
    await expect(authorizeDecision(view, 'approve', 'U0ALICE', noGroups)).resolves.toBeUndefined();
    await expect(authorizeDecision(view, 'approve', 'U0BOB', groups)).resolves.toBeUndefined();
  });

  it('refuses anyone else, naming the approvers', async () => {
    await expect(authorizeDecision(view, 'deny', 'U0EVE', groups)).rejects.toMatchObject({
      code: 'not_an_approver',
      message: expect.stringContaining('U0OWNER, U0ALICE, S0PLATFORM'),
    });
    await expect(authorizeDecision(view, 'approve', '', groups)).rejects.toMatchObject({ code: 'not_an_approver' });
  });

  it('looks up only group ids: without a group resolver (no Slack), a user-only list still says "not an approver"', async () => {
    const noSlack = () => Promise.reject(new Error('user groups cannot be resolved without Slack'));
    const usersOnly = { ...view, approvers: ['U0OWNER', 'U0ALICE'] };
    await expect(authorizeDecision(usersOnly, 'approve', 'U0EVE', noSlack)).rejects.toMatchObject({
      code: 'not_an_approver',
    });
    // A listed group that cannot be checked still fails closed.
    await expect(authorizeDecision(view, 'approve', 'U0EVE', noSlack)).rejects.toMatchObject({
      code: 'approvals_unavailable',
    });
  });

  it('forbids self-approval by the grant owner unless allowed, but not self-denial', async () => {
    await expect(authorizeDecision(view, 'approve', 'U0OWNER', groups)).rejects.toMatchObject({
      code: 'self_approval_forbidden',
    });
    await expect(authorizeDecision(view, 'deny', 'U0OWNER', groups)).resolves.toBeUndefined();
    await expect(
      authorizeDecision({ ...view, allowSelfApproval: true }, 'approve', 'U0OWNER', groups),
    ).resolves.toBeUndefined();
  });

  it('fails closed when a group lookup fails and nothing else admits the approver', async () => {
    const broken = async () => {
      throw new Error('slack down');
    };
    await expect(authorizeDecision(view, 'approve', 'U0BOB', broken)).rejects.toMatchObject({
      code: 'approvals_unavailable',
      message: expect.stringContaining('slack down'),
    });
    await expect(authorizeDecision(view, 'approve', 'U0ALICE', broken)).resolves.toBeUndefined();
  });
});
