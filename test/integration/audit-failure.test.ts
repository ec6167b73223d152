import { existsSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { AuditUnavailableError } from '../../src/audit/errors.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { auditConfig, auditFileConfig, fileLines, fileOf, quietLog, slotPath } from '../helpers/audit.js';
import { tempDir } from '../helpers/paths.js';

const open: AuditLog[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

function openLog(dir: string, over: Parameters<typeof auditConfig>[1] = {}, log = quietLog): AuditLog {
  const audit = AuditLog.open({ config: auditConfig(dir, over), log, retryMs: 0 });
  open.push(audit);
  return audit;
}

const emit = (audit: AuditLog, n = 0) =>
  audit
    .call({ grant: 'g', server: 's', tool: 't', args: { n } })
    .emit('policy.decided', { rule: '/tools/t', action: 'allow' });

/** A log whose records we can read. */
function recordingLog() {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      records.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), records };
}

describe('when the audit file cannot be written (fail_mode closed)', () => {
  it('rejects appends with a clear error and reports unhealthy on a full disk, then recovers', async () => {
    const dir = tempDir();
    const audit = openLog(dir);
    const file = fileOf(audit);
    await emit(audit, 1);
    // The live file becomes /dev/full: every write fails with ENOSPC, even for root.
    unlinkSync(file);
    symlinkSync('/dev/full', file);
    // The open descriptor still points at the unlinked file: that write is caught as lost…
    await expect(emit(audit, 2)).rejects.toThrow(AuditUnavailableError);
    // …and the reopened path is a full disk.
    await expect(emit(audit, 3)).rejects.toThrow(
      /the audit file .*-1\.jsonl cannot be written \(ENOSPC.*\); calls are refused until it can \(audit\.fail_mode is "closed"\)/u,
    );
    await expect(emit(audit, 4)).rejects.toThrow(/ENOSPC/u);
    expect(audit.healthy).toBe(false);
    expect(audit.refusing).toBe(true);
    expect(audit.lastError?.code).toBe('audit_unavailable');

    unlinkSync(file);
    writeFileSync(file, '');
    await emit(audit, 5);
    expect(audit.healthy).toBe(true);
    expect(audit.refusing).toBe(false);
    expect(audit.file).toBe(file);
    // The lines lost while it failed show as a gap after the last one written.
    const lines = fileLines(file);
    expect(lines).toHaveLength(1);
    expect(verifyAuditFiles([file])).toMatchObject({ ok: false, line: 1, problem: 'removed' });
  });

  it('notices the directory being removed under it, and recreates it', async () => {
    const dir = tempDir();
    const logDir = join(dir, 'logs');
    const audit = openLog(logDir);
    const file = fileOf(audit);
    await emit(audit, 1);
    rmSync(logDir, { recursive: true });
    await expect(emit(audit, 2)).rejects.toThrow(/deleted, or its directory removed, while open/u);
    expect(audit.healthy).toBe(false);
    await emit(audit, 3);
    expect(audit.healthy).toBe(true);
    expect(audit.file).toBe(file);
    expect(JSON.parse(fileLines(file)[0]!)).toMatchObject({ seq: 2 });
    // The slot is held again (the lock went with the directory), so no other writer takes it.
    expect(existsSync(`${file}.lock`)).toBe(true);
    const next = openLog(logDir);
    expect(next.file).toBe(slotPath(logDir, 2));
  });

  it('moves to a free slot when its own was taken while the directory was gone', async () => {
    const dir = tempDir();
    const logDir = join(dir, 'logs');
    const audit = openLog(logDir);
    await emit(audit, 1);
    rmSync(logDir, { recursive: true });
    const newcomer = openLog(logDir); // sees no lock: slot 1 is free for it
    expect(newcomer.file).toBe(slotPath(logDir, 1));
    await emit(newcomer, 1);
    await expect(emit(audit, 2)).rejects.toThrow(/deleted, or its directory removed, while open/u);
    await emit(audit, 3);
    expect(audit.healthy).toBe(true);
    expect(audit.file).toBe(slotPath(logDir, 2));
    await emit(newcomer, 2);
    // Two chains, neither forked by the other.
    expect(verifyAuditFiles([slotPath(logDir, 1)])).toMatchObject({ ok: true, lines: 2 });
    expect(verifyAuditFiles([slotPath(logDir, 2)])).toMatchObject({ ok: true, lines: 1 });
  });

  it('keeps refusing while the path stays unusable (a directory replaced by a file)', async () => {
    const dir = tempDir();
    const logDir = join(dir, 'logs');
    const audit = openLog(logDir);
    await emit(audit, 1);
    rmSync(logDir, { recursive: true });
    writeFileSync(logDir, 'not a directory');
    await expect(emit(audit, 2)).rejects.toThrow(AuditUnavailableError);
    await expect(emit(audit, 3)).rejects.toThrow(/ENOTDIR|EEXIST/u);
    await expect(emit(audit, 4)).rejects.toThrow(AuditUnavailableError);
    expect(audit.healthy).toBe(false);
    unlinkSync(logDir);
    mkdirSync(logDir);
    await emit(audit, 5);
    expect(audit.healthy).toBe(true);
  });

  it('does not start when the file cannot be opened', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'blocker'), '');
    expect(() => openLog(join(dir, 'blocker', 'sub'))).toThrow(AuditUnavailableError);
    expect(() => openLog(join(dir, 'blocker', 'sub'))).toThrow(
      /the audit directory .*blocker\/sub cannot be written \(ENOTDIR/u,
    );
    const fixed = () =>
      AuditLog.open({ config: auditFileConfig(join(dir, 'blocker', 'sub', 'audit.jsonl')), log: quietLog });
    expect(fixed).toThrow(AuditUnavailableError);
    expect(fixed).toThrow(/the audit file .*blocker\/sub\/audit\.jsonl cannot be written \(ENOTDIR/u);
  });
});

describe('when the audit file cannot be written (fail_mode open)', () => {
  it('logs the failure once, keeps accepting events and reports unhealthy without refusing', async () => {
    const dir = tempDir();
    const { log, records } = recordingLog();
    const audit = openLog(dir, { fail_mode: 'open' }, log);
    await emit(audit, 1);
    unlinkSync(fileOf(audit));
    symlinkSync('/dev/full', fileOf(audit));
    await emit(audit, 2);
    await emit(audit, 3);
    await emit(audit, 4);
    expect(audit.healthy).toBe(false);
    expect(audit.refusing).toBe(false);
    expect(audit.lastError?.message).toMatch(
      /calls go on without it, recorded in the Redis stream only \(audit\.fail_mode is "open"\)$/u,
    );
    await audit.flush();
    expect(records.filter((r) => r.msg === 'cannot write the audit file')).toHaveLength(1);
  });

  it('starts without a usable file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'blocker'), '');
    const audit = openLog(join(dir, 'blocker'), { fail_mode: 'open' });
    expect(audit.healthy).toBe(false);
    expect(audit.file).toBeUndefined(); // no slot could be claimed yet
    await expect(emit(audit)).resolves.toBeUndefined();
    // Once the directory can be made, it claims a slot and writes.
    unlinkSync(join(dir, 'blocker'));
    await emit(audit, 2);
    expect(audit.healthy).toBe(true);
    expect(audit.file).toBe(slotPath(join(dir, 'blocker'), 1));
    expect(fileLines(fileOf(audit))).toHaveLength(1);
  });
});
