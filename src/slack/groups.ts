import type { WebClient } from '@slack/web-api';
import type { GroupResolver } from '../approvals/index.js';

/** Slack user-group ids ("S…"); approvers lists also hold user ids, which are no group. */
const GROUP_ID = /^S[A-Z0-9]{2,}$/u;

/**
 * Members of Slack user groups (usergroups.users.list, scope usergroups:read), cached for `ttlMs`
 * per process; concurrent lookups of one group share one call. A group Slack does not know has
 * no members (cached too); a failed call throws, and the engine then refuses (fail closed) unless
 * another entry admits the approver. Not cached across processes: membership changes show up
 * within the TTL everywhere.
 */
export class SlackGroups {
  private readonly cache = new Map<string, { members: readonly string[]; until: number }>();
  private readonly inflight = new Map<string, Promise<readonly string[]>>();

  constructor(
    private readonly client: WebClient,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The engine's GroupResolver: `resolveGroupMembers: groups.resolver`. */
  readonly resolver: GroupResolver = (groupId) => this.members(groupId);

  async members(groupId: string): Promise<readonly string[]> {
    if (!GROUP_ID.test(groupId)) return [];
    const hit = this.cache.get(groupId);
    if (hit !== undefined && hit.until > this.now()) return hit.members;
    let pending = this.inflight.get(groupId);
    if (pending === undefined) {
      pending = this.fetch(groupId).finally(() => this.inflight.delete(groupId));
      this.inflight.set(groupId, pending);
    }
    return pending;
  }

  private async fetch(groupId: string): Promise<readonly string[]> {
    let members: readonly string[];
    try {
      const answer = await this.client.usergroups.users.list({ usergroup: groupId });
      members = answer.users ?? [];
    } catch (error) {
      const code = (error as { data?: { error?: unknown } }).data?.error;
      if (code !== 'no_such_subteam' && code !== 'subteam_not_found') throw error;
      members = [];
    }
    this.cache.set(groupId, { members, until: this.now() + this.ttlMs });
    return members;
  }
}
