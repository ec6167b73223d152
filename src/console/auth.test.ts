import { describe, expect, it } from 'vitest';
import { ConsoleConfigSchema } from '../config/index.js';
import {
  checkCsrf,
  csrfToken,
  hashPassword,
  sessionCookie,
  signSession,
  verifyPassword,
  verifySession,
} from './auth.js';

const SECRET = 'test-secret-0123456789';

describe('console credentials', () => {
  it('hashes passwords in the scrypt$N$r$p$salt$hash format and verifies only the right one', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/u);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterx', hash)).toBe(false);
    expect(await verifyPassword('correct horse battery', 'scrypt$1$1$1$x$y')).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(hash); // salted
  });

  it('signs sessions: a tampered, foreign-keyed or expired cookie is refused', () => {
    const now = Date.now();
    const cookie = signSession(SECRET, { user: 'alice', expiresAt: now + 60_000 });
    expect(verifySession(SECRET, cookie, now)).toEqual({ user: 'alice', expiresAt: now + 60_000 });
    expect(verifySession('another-secret', cookie, now)).toBeUndefined();
    expect(verifySession(SECRET, cookie, now + 60_000)).toBeUndefined();
    const [, expiry, mac] = cookie.split('.');
    const forged = `${Buffer.from('bob').toString('base64url')}.${expiry}.${mac}`;
    expect(verifySession(SECRET, forged, now)).toBeUndefined();
    const longer = cookie.replace(`.${expiry}.`, `.${Number(expiry) + 1_000_000}.`);
    expect(verifySession(SECRET, longer, now)).toBeUndefined();
  });

  it("derives CSRF tokens from the session: another session's token does not pass", () => {
    const a = signSession(SECRET, { user: 'alice', expiresAt: Date.now() + 60_000 });
    const b = signSession(SECRET, { user: 'bob', expiresAt: Date.now() + 60_000 });
    expect(checkCsrf(SECRET, a, csrfToken(SECRET, a))).toBe(true);
    expect(checkCsrf(SECRET, a, csrfToken(SECRET, b))).toBe(false);
    expect(checkCsrf(SECRET, a, undefined)).toBe(false);
    expect(checkCsrf(SECRET, a, '')).toBe(false);
  });

  it('the config takes exactly one credential per user and Slack-style user ids', () => {
    const ok = ConsoleConfigSchema.parse({ users: [{ name: 'alice', user_id: 'U0ALICE', token: 'x'.repeat(24) }] });
    expect(ok.session_ttl).toBe(12 * 3_600_000);
    const both = ConsoleConfigSchema.safeParse({
      users: [{ name: 'a', user_id: 'U0A', token: 'x'.repeat(24), token_sha256: 'a'.repeat(64) }],
    });
    expect(both.success).toBe(false);
    expect(JSON.stringify(both.error?.issues)).toContain('exactly one of');
    const none = ConsoleConfigSchema.safeParse({ users: [{ name: 'a', user_id: 'U0A' }] });
    expect(none.success).toBe(false);
    const badId = ConsoleConfigSchema.safeParse({ users: [{ name: 'a', user_id: 'alice', token: 'x'.repeat(24) }] });
    expect(JSON.stringify(badId.error?.issues)).toContain('Slack user id');
    expect(ConsoleConfigSchema.parse({ user: 'U0CLI' }).users).toEqual([]);
  });

  it('marks the session cookie Secure unless the listener is on loopback', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) {
      expect(sessionCookie('c', 'v', 60, host)).toBe('c=v; Path=/console; HttpOnly; SameSite=Strict; Max-Age=60');
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'airlock.internal', '128.0.0.1']) {
      expect(sessionCookie('c', 'v', 60, host)).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=60; Secure$/u);
    }
  });
});
