import { z } from 'zod';
import { durationSchema as duration } from '../shared/index.js';

/** One agent credential: a bearer token (or its SHA-256) → a name, an owner, optionally its own policy. */
export const GrantConfigSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, "_", "." or "-"'),
    token: z.string().min(16, 'expected a token of at least 16 characters').optional(),
    token_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits')
      .optional(),
    /** The Slack user id of the person who runs this agent (for the self-approval rule). */
    owner: z.string().optional(),
    /** A stricter (or looser) policy file for this grant; otherwise the global one. */
    policy: z.string().optional(),
    hold: duration('50s'),
    max_pending: z.number().int().min(1).default(10),
    /** This grant's own session cap, instead of `sessions.max_per_grant`. */
    max_sessions: z.number().int().min(1).optional(),
  })
  .refine((g) => g.token !== undefined || g.token_sha256 !== undefined, {
    message: 'expected "token" or "token_sha256"',
  });

/** The `grants` section; unique names and tokens are checked at load (they span entries). */
export const GrantsConfigSchema = z.array(GrantConfigSchema).min(1, 'expected at least one grant');

export type GrantConfig = z.infer<typeof GrantConfigSchema>;
