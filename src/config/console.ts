import { z } from 'zod';
import { durationSchema as duration } from '../shared/index.js';

/** `scrypt$N$r$p$<salt b64>$<hash b64>`: the format `airlock console hash-password` prints. */
export const PASSWORD_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/u;

const ConsoleUserSchema = z
  .strictObject({
    /** What the console shows and the login form asks for. */
    name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/u, 'expected a name of letters, digits and _ . @ - (at most 64)'),
    /** Who decides: the Slack-style user id listed in the rules' approvers. */
    user_id: z.string().regex(/^[UW][A-Z0-9]{2,}$/u, 'expected a Slack user id ("U…" or "W…", capitals and digits)'),
    password_hash: z
      .string()
      .regex(PASSWORD_HASH_PATTERN, 'expected the output of `airlock console hash-password` (scrypt$N$r$p$salt$hash)')
      .optional(),
    /** A bearer token for scripts (the JSON API); at least 24 characters. */
    token: z.string().min(24, 'expected a token of at least 24 characters').optional(),
    /** The token's SHA-256 in hex, so the config need not hold the token itself. */
    token_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/u, 'expected 64 lowercase hex digits (sha256 of the token)')
      .optional(),
  })
  .refine((u) => [u.password_hash, u.token, u.token_sha256].filter((c) => c !== undefined).length === 1, {
    message: 'expected exactly one of "password_hash", "token" or "token_sha256"',
  });

/**
 * The `console` section: who may log in to the web console (served at /console only when
 * `users` is non-empty), how long a session lasts, and `user`, the approvals CLI's default --as.
 */
export const ConsoleConfigSchema = z
  .strictObject({
    /** The approvals CLI's default `--as` (a user id). */
    user: z.string().min(1).optional(),
    users: z.array(ConsoleUserSchema).default([]),
    session_ttl: duration('12h'),
    /** How long a one-time login link (`airlock console login-link`) may wait to be opened. */
    login_link_ttl: duration('10m'),
  })
  .refine((c) => new Set(c.users.map((u) => u.name)).size === c.users.length, {
    message: 'console user names must be unique',
    path: ['users'],
  });

export type ConsoleConfig = z.infer<typeof ConsoleConfigSchema>;
export type ConsoleUser = ConsoleConfig['users'][number];
