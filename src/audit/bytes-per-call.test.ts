import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditConfig, quietLog } from '../../test/helpers/audit.js';
import { tempDir } from '../../test/helpers/paths.js';
import { AuditLog } from './audit-log.js';

/**
 * The bound src/audit/README.md "Bytes per call" states: whatever the arguments' size, a call adds
 * at most args_preview_bytes + ~3 KB of events (6 at most, names of the usual length) + 1 KiB per
 * long free-text field to the audit file, and identical denials within a window add nothing but
 * one summary.
 */
const PREVIEW = 4096;
/** The events of a call (~3.1 KB at most) and one upstream error cut to 1 KiB. */
const PER_CALL = 4 * 1024;
const huge = { name: 'fraud-detector', version: '7', description: 'A'.repeat(3_900_000) };
const identity = { grant: 'ci-agent', session: '6f1c2b1e-8d4a-4f7e-9c3b-2a5d6e7f8a9b', server: 'mlflow' };

async function bytesOf(scenario: (audit: AuditLog) => Promise<void>): Promise<number> {
  const dir = tempDir();
  const audit = AuditLog.open({ config: auditConfig(dir, { args_preview_bytes: PREVIEW }), log: quietLog });
  await scenario(audit);
  await audit.close();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .reduce((total, f) => total + statSync(join(dir, f)).size, 0);
}

async function allowed(audit: AuditLog, args: unknown): Promise<void> {
  const trail = audit.call({ ...identity, tool: 'update_model_version', args });
  void trail.emit('call.received');
  await trail.emit('policy.decided', { rule: '/tools/update_model_version', action: 'allow' });
  void trail.emit('call.forwarded');
  await trail.emit('call.outcome', {
    outcome: 'tool_error',
    error: `Error executing tool update_model_version: ${'x'.repeat(50_000)}`,
  });
}

async function approved(audit: AuditLog, args: unknown): Promise<void> {
  const trail = audit.call({ ...identity, tool: 'update_model_version', args });
  void trail.emit('call.received');
  await trail.emit('policy.decided', {
    rule: '/tools/update_model_version',
    action: 'require_approval',
    reason: 'Changes a registered model version',
  });
  trail.setApproval('apr_abcdefghijklmnopqrst');
  void trail.emit('approval.requested', {
    rule: '/tools/update_model_version',
    expires_at: '2026-08-01T12:15:00.000Z',
    approvers: ['U0APPROVER1', 'U0APPROVER2'],
    attached: false,
  });
  // The engine's decision event, in the process that held the call: the hash only.
  void audit
    .approval({
      approval_id: 'apr_abcdefghijklmnopqrst',
      grant: identity.grant,
      server: identity.server,
      tool: 'update_model_version',
      args,
    })
    .emit('approval.decided', {
      decision: 'approved',
      approver: 'U0APPROVER1',
      decided_at: '2026-08-01T12:01:00.000Z',
    });
  void trail.emit('call.forwarded');
  await trail.emit('call.outcome', { outcome: 'ok', approver: 'U0APPROVER1' });
}

async function denied(audit: AuditLog, args: unknown): Promise<void> {
  const trail = audit.call({ ...identity, tool: 'delete_run', args });
  void trail.emit('call.received');
  await trail.emit('policy.decided', { rule: '/tools/delete_run', action: 'deny', reason: 'Destructive' });
}

describe('bytes per call in the audit file', () => {
  it('is at most args_preview_bytes + 4 KB for a call with a 3.9 MB argument and a 50 KB upstream error', async () => {
    const sizes = {
      allowed: await bytesOf((audit) => allowed(audit, huge)),
      approved: await bytesOf((audit) => approved(audit, huge)),
      denied: await bytesOf((audit) => denied(audit, huge)),
      tenAllowed: await bytesOf(async (audit) => {
        for (let i = 0; i < 10; i++) await allowed(audit, huge);
      }),
    };
    expect(sizes.allowed).toBeLessThanOrEqual(PREVIEW + PER_CALL);
    expect(sizes.approved).toBeLessThanOrEqual(PREVIEW + PER_CALL);
    expect(sizes.denied).toBeLessThanOrEqual(PREVIEW + PER_CALL);
    expect(sizes.tenAllowed).toBeLessThanOrEqual(10 * (PREVIEW + PER_CALL)); // 152 MB before
  });

  it('approval events in a process that holds no call of theirs carry the preview once', async () => {
    const size = await bytesOf(async (audit) => {
      const decided = (decision: 'approval_counted' | 'approved') =>
        audit
          .approval({
            approval_id: 'apr_elsewhere000000000',
            grant: identity.grant,
            server: identity.server,
            tool: 'update_model_version',
            args: huge,
          })
          .emit('approval.decided', { decision, approver: 'U0APPROVER1', decided_at: '2026-08-01T12:01:00.000Z' });
      await decided('approval_counted');
      await decided('approved');
    });
    expect(size).toBeGreaterThan(PREVIEW / 2);
    expect(size).toBeLessThanOrEqual(PREVIEW + PER_CALL);
  });

  it('is one full denial and one summary for 1,000 identical denials within a window', async () => {
    const one = await bytesOf((audit) => denied(audit, { run_id: 'r1' }));
    const thousand = await bytesOf(async (audit) => {
      for (let i = 0; i < 1_000; i++) await denied(audit, { run_id: 'r1' });
    });
    expect(thousand).toBeLessThan(one + 1_024); // before: ~940 KB
  });
});
