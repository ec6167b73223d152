import { z } from 'zod';
import { durationSchema as duration } from '../shared/index.js';

/** The `approvals` section: how long held calls' records live and how often they report. */
export const ApprovalsConfigSchema = z.strictObject({
  /** How long decided approvals, stored results and their jobs are kept (a retry within it gets the stored result). */
  retention: duration('24h'),
  /** An executing call's lease; a holder that dies mid-call is noticed after this and its outcome becomes unknown. */
  execution_lease: duration('15s'),
  /** How often a held request reports progress to an agent that sent a progress token (at most 15 s: clients time out at 60 s). */
  progress_interval: duration('15s').refine(
    (ms) => ms <= 15_000,
    'expected at most 15s: agents must hear from a held call at least that often',
  ),
});

export type ApprovalsConfig = z.infer<typeof ApprovalsConfigSchema>;
