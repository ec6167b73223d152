import { z } from 'zod';
import { durationSchema as duration } from '../shared/index.js';

/** The default per-grant session cap; below `max` when `max` is set lower, so one grant never fills the gateway. */
const DEFAULT_MAX_SESSIONS_PER_GRANT = 100;

/** The `sessions` section: agents' HTTP sessions, their idle timeout and caps. */
export const SessionsConfigSchema = z
  .strictObject({
    idle_timeout: duration('30m'),
    /** Sessions of all grants together; a newcomer beyond it is refused (503). */
    max: z.number().int().min(1).default(1_000),
    /** Sessions one grant may hold (429 beyond it), unless the grant sets `max_sessions`; below `max` (checked at load). */
    max_per_grant: z.number().int().min(1).optional(),
  })
  .transform((s) => ({
    ...s,
    max_per_grant: s.max_per_grant ?? Math.max(1, Math.min(DEFAULT_MAX_SESSIONS_PER_GRANT, s.max - 1)),
  }));

export type SessionsConfig = z.infer<typeof SessionsConfigSchema>;
