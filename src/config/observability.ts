import { z } from 'zod';
import { durationSchema as duration } from '../shared/index.js';

/**
 * The `metrics` section: Prometheus text at `/metrics` on the main listener. Its token is its
 * own (a scraper is not an agent): without one, anyone who can reach the listener can read the
 * counts (tool and grant names, no arguments), so set one when the listener is not loopback.
 */
export const MetricsConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** `Authorization: Bearer <token>` required to scrape; at least 16 characters. */
  token: z.string().min(16, 'metrics.token must be at least 16 characters').optional(),
});

/** The `shutdown` section: how long SIGTERM waits for calls already sent upstream to answer. */
export const ShutdownConfigSchema = z.strictObject({
  /** Calls in flight to an upstream get this long to finish; held calls answer `pending` at once. */
  grace: duration('10s'),
});

export type MetricsConfig = z.infer<typeof MetricsConfigSchema>;
export type ShutdownConfig = z.infer<typeof ShutdownConfigSchema>;
