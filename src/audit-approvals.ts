import type { ApprovalEngine, ApprovalView } from './approvals/index.js';
import type { AuditLog } from './audit/index.js';

/**
 * Approval decisions in the audit trail, each recorded once across all Airlock processes: final
 * decisions, expiry and withdrawal when the approval's job completes (its worker runs in exactly
 * one process, whoever decided, the CLI included); partial approvals (min_approvals > 1) where
 * they are counted. Each carries the arguments' SHA-256; the arguments themselves (a bounded
 * preview) only on the first event of the approval in this process's chain, and only when no
 * call of it was held here (`AuditLog.approval`).
 */
export function auditApprovalEvents(engine: ApprovalEngine, audit: AuditLog): void {
  const trailOf = (view: ApprovalView) =>
    audit.approval({ approval_id: view.id, grant: view.grant, server: view.server, tool: view.tool, args: view.args });
  const at = (ms: number | undefined) => new Date(ms ?? Date.now()).toISOString();

  engine.events.on('settled', (view) => {
    const trail = trailOf(view);
    const reason = view.decisionReason ? { reason: view.decisionReason } : {};
    switch (view.state) {
      case 'expired':
        void trail.emit('approval.expired', { decided_at: at(view.decidedAt ?? view.expiresAt) });
        return;
      case 'withdrawn':
        void trail.emit('approval.withdrawn', {
          ...(view.decidedBy ? { approver: view.decidedBy } : {}),
          decided_at: at(view.decidedAt),
          ...reason,
        });
        return;
      case 'denied':
      case 'approved':
      case 'executing':
      case 'executed':
        void trail.emit('approval.decided', {
          decision: view.state === 'denied' ? 'denied' : 'approved',
          approver: view.decidedBy ?? 'unknown',
          decided_at: at(view.decidedAt),
          ...reason,
        });
        return;
      case 'pending':
        return;
    }
  });
  engine.events.on('decided', ({ approval, approver, final }) => {
    if (final) return;
    void trailOf(approval).emit('approval.decided', {
      decision: 'approval_counted',
      approver,
      decided_at: at(Date.now()),
    });
  });
}
