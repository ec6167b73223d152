import type { GatewayMetrics } from './metrics.js';

/** An audit event as the audit boundary reports it (src/audit ObservedEvent). */
export interface AuditedEvent {
  type: string;
  grant: string;
  server: string;
  tool: string;
  fields: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Calls, outcomes, rate limits, refusals and approval requests counted from the audit trail's
 * events as they are emitted: the same facts the trail records, so the two never disagree (a
 * repeated denial the roll-up only counts is counted here too).
 */
export function auditObserver(metrics: GatewayMetrics): {
  event(event: AuditedEvent): void;
  written(seconds: number, ok: boolean): void;
} {
  return {
    event({ type, grant, server, tool, fields }) {
      const call = { server, tool, grant };
      switch (type) {
        case 'policy.decided':
          metrics.calls.inc({ ...call, decision: String(fields?.action) });
          return;
        case 'call.rate_limited':
          metrics.rateLimited.inc({ ...call, counter: String(fields?.counter) });
          return;
        case 'call.refused':
          metrics.refused.inc({ ...call, reason: String(fields?.reason) });
          return;
        case 'call.outcome':
          metrics.outcomes.inc({ ...call, outcome: String(fields?.outcome) });
          return;
        case 'approval.requested':
          metrics.approvalsRequested.inc(call);
          return;
      }
    },
    written(seconds, ok) {
      metrics.auditWriteSeconds.observe(seconds);
      if (!ok) metrics.auditWriteFailures.inc();
    },
  };
}

/** An approval that ended, as the engine reports it once across processes. */
export interface EndedApproval {
  state: string;
  createdAt: number;
  decidedAt?: number | undefined;
  expiresAt: number;
}

/** The approval wait histogram: request to end, by how it ended. */
export function observeApprovalEnd(metrics: GatewayMetrics, approval: EndedApproval): void {
  if (approval.state === 'pending') return;
  const end = approval.decidedAt ?? (approval.state === 'expired' ? approval.expiresAt : Date.now());
  const decision = approval.state === 'executing' || approval.state === 'executed' ? 'approved' : approval.state;
  metrics.approvalWait.observe({ decision }, Math.max(0, end - approval.createdAt) / 1_000);
}
