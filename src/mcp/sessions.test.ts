import { afterEach, describe, expect, it } from 'vitest';
import { SessionRegistry, type AgentSession, type SessionLimits } from './sessions.js';

const IDLE = 60_000;
const T0 = 1_000_000;
const registries: SessionRegistry[] = [];
const evicted: string[] = [];

function registry(limits: Partial<SessionLimits> = {}): SessionRegistry {
  const r = new SessionRegistry({ idleTimeoutMs: IDLE, max: 10, maxPerGrant: 2, perGrant: new Map(), ...limits }, (s) =>
    evicted.push(s.id),
  );
  registries.push(r);
  return r;
}

let seq = 0;
/** Only the fields the registry reads; the SDK objects are never touched by it. */
function session(grantName: string, fields: Partial<AgentSession> = {}): AgentSession {
  return { id: `s${++seq}`, grantName, lastSeen: T0, openRequests: 0, ...fields } as AgentSession;
}

function open(r: SessionRegistry, grant: string, fields: Partial<AgentSession> = {}): AgentSession {
  const admission = r.admit(grant, T0);
  if (!admission.admitted) throw new Error(`not admitted: ${JSON.stringify(admission)}`);
  const s = session(grant, fields);
  r.add(s);
  admission.release();
  return s;
}

afterEach(() => {
  for (const r of registries.splice(0)) r.close();
  evicted.length = 0;
});

describe('SessionRegistry caps', () => {
  it('refuses a grant at its own cap and still admits another grant', () => {
    const r = registry();
    open(r, 'alpha');
    open(r, 'alpha');
    expect(r.admit('alpha', T0 + 1_000)).toMatchObject({
      admitted: false,
      scope: 'grant',
      grant: 'alpha',
      cap: 2,
      capSetting: 'sessions.max_per_grant',
      open: 2,
    });
    expect(r.admit('bravo', T0 + 1_000)).toMatchObject({ admitted: true });
  });

  it("takes a grant's own max_sessions over sessions.max_per_grant and names that setting", () => {
    const r = registry({ perGrant: new Map([['alpha', 1]]) });
    open(r, 'alpha');
    expect(r.admit('alpha', T0)).toMatchObject({ admitted: false, cap: 1, capSetting: 'grants[].max_sessions' });
  });

  it('counts initializes in flight, so concurrent ones cannot overshoot the cap', () => {
    const r = registry();
    const first = r.admit('alpha', T0);
    const second = r.admit('alpha', T0);
    expect([first.admitted, second.admitted]).toEqual([true, true]);
    expect(r.admit('alpha', T0)).toMatchObject({ admitted: false, open: 2 });
    if (first.admitted) {
      first.release();
      first.release();
    }
    expect(r.admit('alpha', T0)).toMatchObject({ admitted: true });
  });

  it('says when the first idle session of the grant can be evicted; a full idle timeout when all are busy', () => {
    const r = registry();
    open(r, 'alpha', { lastSeen: T0 });
    open(r, 'alpha', { lastSeen: T0 + 20_000 });
    expect(r.admit('alpha', T0 + 30_000)).toMatchObject({ admitted: false, retryAfterMs: 30_000 });
    const busy = registry();
    open(busy, 'alpha', { openRequests: 1 });
    open(busy, 'alpha', { openRequests: 1 });
    expect(busy.admit('alpha', T0 + 30_000)).toMatchObject({ admitted: false, retryAfterMs: IDLE });
  });

  it('evicts idle sessions before refusing, making room for the grant', () => {
    const r = registry();
    const stale = open(r, 'alpha');
    open(r, 'alpha', { openRequests: 1 });
    expect(r.admit('alpha', T0 + IDLE + 1)).toMatchObject({ admitted: true });
    expect(evicted).toEqual([stale.id]);
  });

  it('refuses a newcomer of any grant when the whole gateway is full', () => {
    const r = registry({ max: 3 });
    open(r, 'alpha');
    open(r, 'alpha');
    open(r, 'bravo');
    expect(r.admit('charlie', T0)).toEqual({ admitted: false, scope: 'global', cap: 3, open: 3 });
  });
});
