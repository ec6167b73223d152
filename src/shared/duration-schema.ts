import { z } from 'zod';
import { DURATION_HINT, parseDuration } from './duration.js';

/** A config duration field ("50s", "15m", a number of seconds) with a default; yields milliseconds. */
export const durationSchema = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT}, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return ms;
    });
