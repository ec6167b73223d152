import type { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { SlackGroups } from './groups.js';

function client(answers: Record<string, string[] | Error>) {
  const calls: string[] = [];
  const fake = {
    usergroups: {
      users: {
        list: async ({ usergroup }: { usergroup: string }) => {
          calls.push(usergroup);
          await Promise.resolve();
          const answer = answers[usergroup];
          if (answer instanceof Error) throw answer;
          if (answer === undefined)
            throw Object.assign(new Error('no_such_subteam'), { data: { error: 'no_such_subteam' } });
          return { ok: true, users: answer };
        },
      },
    },
  };
  return { calls, client: fake as unknown as WebClient };
}

describe('SlackGroups', () => {
  it('looks a group up once per TTL, sharing concurrent lookups', async () => {
    let now = 0;
    const { calls, client: c } = client({ S0PLATFORM: ['U0A', 'U0B'] });
    const groups = new SlackGroups(c, 60_000, () => now);
    const [a, b] = await Promise.all([groups.members('S0PLATFORM'), groups.members('S0PLATFORM')]);
    expect(a).toEqual(['U0A', 'U0B']);
    expect(b).toBe(a);
    now = 59_999;
    await groups.members('S0PLATFORM');
    expect(calls).toEqual(['S0PLATFORM']);
    now = 60_000;
    await groups.members('S0PLATFORM');
    expect(calls).toEqual(['S0PLATFORM', 'S0PLATFORM']);
  });

  it('never asks Slack about user ids; an unknown group has no members; a failure throws (the engine refuses) and is not cached', async () => {
    const { calls, client: c } = client({ S0DOWN: new Error('ECONNREFUSED') });
    const groups = new SlackGroups(c, 60_000);
    expect(await groups.resolver('U0APPROVER')).toEqual([]);
    expect(await groups.members('S0GONE')).toEqual([]);
    await expect(groups.members('S0DOWN')).rejects.toThrow('ECONNREFUSED');
    await expect(groups.members('S0DOWN')).rejects.toThrow('ECONNREFUSED');
    expect(calls).toEqual(['S0GONE', 'S0DOWN', 'S0DOWN']);
  });
});
