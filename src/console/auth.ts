import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * The console's credentials, all pure: scrypt password hashes in a self-describing format,
 * stateless session cookies (HMAC-signed name and expiry, so any Airlock process sharing the
 * secret accepts them), CSRF tokens derived from the session, and bearer token checks.
 */

const SCRYPT_DEFAULTS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { ...options, maxmem: 256 * options.N! * options.r! }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$<salt b64>$<hash b64>`: the parameters travel with the hash, so they can change later. */
export async function hashPassword(password: string, params: { N: number; r: number; p: number } = SCRYPT_DEFAULTS) {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` matches `hash` (constant-time compare); false for a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const [kind, n, r, p, salt, expected] = hash.split('$');
  if (kind !== 'scrypt' || salt === undefined || expected === undefined) return false;
  const want = Buffer.from(expected, 'base64');
  try {
    const got = await scryptAsync(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
    return got.length === want.length && timingSafeEqual(got, want);
  } catch {
    return false;
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time equality of two strings (by their SHA-256, so lengths do not leak either). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function mac(secret: string, purpose: string, text: string): string {
  return createHmac('sha256', secret).update(`${purpose}\n${text}`).digest('base64url');
}

export interface Session {
  /** The console user's name. */
  user: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** The cookie value: `<user b64url>.<expiry ms>.<hmac>`. */
export function signSession(secret: string, session: Session): string {
  const body = `${Buffer.from(session.user, 'utf8').toString('base64url')}.${session.expiresAt}`;
  return `${body}.${mac(secret, 'session', body)}`;
}

/** The session a cookie value carries, if its signature holds and it has not expired. */
export function verifySession(secret: string, value: string, now = Date.now()): Session | undefined {
  const parts = value.split('.');
  if (parts.length !== 3) return undefined;
  const [user, expiry, signature] = parts as [string, string, string];
  if (!sameSecret(signature, mac(secret, 'session', `${user}.${expiry}`))) return undefined;
  const expiresAt = Number(expiry);
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) return undefined;
  return { user: Buffer.from(user, 'base64url').toString('utf8'), expiresAt };
}

/** The CSRF token of a session: an HMAC of its cookie value, so it needs no storage and dies with the session. */
export function csrfToken(secret: string, cookieValue: string): string {
  return mac(secret, 'csrf', cookieValue);
}

export function checkCsrf(secret: string, cookieValue: string, token: string | undefined): boolean {
  return token !== undefined && token !== '' && sameSecret(token, csrfToken(secret, cookieValue));
}

/** A fresh random token (one-time login links). */
export function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The session cookie's Set-Cookie value (an empty `value` with maxAge 0 clears it). `Secure`
 * unless the listener is on loopback, where browsers talk plain HTTP to 127.0.0.1.
 */
export function sessionCookie(name: string, value: string, maxAgeSeconds: number, listenHost: string): string {
  const secure = !isLoopbackHost(listenHost);
  return `${name}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/gu, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/u.test(bare);
}
