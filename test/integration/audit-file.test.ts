import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { chainFiles, rotatedFiles, withoutChainFields } from '../../src/audit/chain.js';
import { GENESIS_HASH, sha256Hex } from '../../src/audit/digest.js';
import { AuditEventSchema } from '../../src/audit/events.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { appendRaw, auditConfig, fileLines, quietLog } from '../helpers/audit.js';
import { tempDir } from '../helpers/paths.js';

const open: AuditLog[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

function openLog(dir: string, over: Parameters<typeof auditConfig>[1] = {}): AuditLog {
  const audit = AuditLog.open({ config: auditConfig(dir, over), log: quietLog });
  open.push(audit);
  return audit;
}

async function closeLog(audit: AuditLog): Promise<void> {
  open.splice(open.indexOf(audit), 1);
  await audit.close();
}

/** One allowed call's events; resolves when they are in the file. */
async function allowedCall(audit: AuditLog, n: number): Promise<void> {
  const trail = audit.call({ grant: 'ci-agent', session: 's1', server: 'mlflow', tool: 'get_model', args: { name: `m${n}`, token: `tok-${n}` } });
  trail.emit('call.received');
  await trail.emit('policy.decided', { rule: '/tools/get_*', action: 'allow' });
  trail.emit('call.forwarded');
  await trail.emit('call.outcome', { outcome: 'ok' });
}

describe('the audit file', () => {
  it('is one schema-valid event per line, chained by seq and the previous line hash', async () => {
    const dir = tempDir();
    const audit = openLog(dir);
    for (let i = 0; i < 5; i++) await allowedCall(audit, i);
    const lines = fileLines(join(dir, 'audit.jsonl'));
    expect(lines).toHaveLength(20);
    let prev = GENESIS_HASH;
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed).toMatchObject({ seq: i + 1, prev });
      expect(AuditEventSchema.safeParse(withoutChainFields(parsed)).success).toBe(true);
      prev = sha256Hex(line);
    });
    expect(audit.chainHead).toEqual({ seq: 20, hash: prev });
    expect(verifyAuditFiles([join(dir, 'audit.jsonl')])).toMatchObject({ ok: true, lines: 20, firstSeq: 1, lastSeq: 20, head: prev });
  });

  it('never holds a redacted value, only its hash', async () => {
    const dir = tempDir();
    const audit = openLog(dir);
    await audit.call({ grant: 'g', server: 's', tool: 't', args: { nested: { client_secret: 'sk-very-secret-1' }, list: [{ password: 'hunter2-pw' }] } }).emit('call.received');
    const bytes = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    expect(bytes).not.toContain('sk-very-secret-1');
    expect(bytes).not.toContain('hunter2-pw');
    expect(bytes).toContain('"client_secret":"[redacted]"');
  });

  it('writes events emitted in the same turn in one batch, in order', async () => {
    const dir = tempDir();
    const audit = openLog(dir);
    const trail = audit.call({ grant: 'g', server: 's', tool: 't', args: {} });
    const writes = Array.from({ length: 100 }, (_, i) => trail.emit('call.refused', { reason: `r${i}` }));
    expect(new Set(writes).size).toBe(1); // one promise per batch
    await Promise.all(writes);
    expect(fileLines(join(dir, 'audit.jsonl')).map((l) => (JSON.parse(l) as { reason: string }).reason)).toEqual(writes.map((_, i) => `r${i}`));
  });

  it('continues the chain after a restart', async () => {
    const dir = tempDir();
    const first = openLog(dir);
    await allowedCall(first, 1);
    const head = first.chainHead;
    await closeLog(first);
    const second = openLog(dir);
    expect(second.chainHead).toEqual(head);
    await allowedCall(second, 2);
    const lines = fileLines(join(dir, 'audit.jsonl'));
    expect(JSON.parse(lines[4]!)).toMatchObject({ seq: 5, prev: head.hash });
    expect(verifyAuditFiles([join(dir, 'audit.jsonl')])).toMatchObject({ ok: true, lines: 8 });
  });

  it('rotates by size and keeps the chain across files', async () => {
    const dir = tempDir();
    const audit = openLog(dir, { max_bytes: 2_000 });
    for (let i = 0; i < 20; i++) await allowedCall(audit, i);
    await closeLog(audit);
    const files = chainFiles(join(dir, 'audit.jsonl'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(readFileSync(file).length).toBeLessThanOrEqual(2_000);
    // Each file's first line names the file it continues and carries its last line's hash.
    for (let i = 1; i < files.length; i++) {
      const previousLast = fileLines(files[i - 1]!).at(-1)!;
      expect(JSON.parse(fileLines(files[i]!)[0]!)).toMatchObject({ rotated_from: basename(files[i - 1]!), prev: sha256Hex(previousLast) });
    }
    expect(verifyAuditFiles(files)).toMatchObject({ ok: true, lines: 80, firstSeq: 1, lastSeq: 80 });
    // The live file alone verifies as the continuation of a rotated one.
    expect(verifyAuditFiles([files.at(-1)!])).toMatchObject({ ok: true, continuesFrom: basename(files.at(-2)!) });
  });

  it('goes on from the newest rotated file when the live one is missing at start', async () => {
    const dir = tempDir();
    const first = openLog(dir);
    await allowedCall(first, 1);
    await closeLog(first);
    renameSync(join(dir, 'audit.jsonl'), join(dir, 'audit.20260101T000000000Z.jsonl'));
    const second = openLog(dir);
    await allowedCall(second, 2);
    expect(JSON.parse(fileLines(join(dir, 'audit.jsonl'))[0]!)).toMatchObject({ seq: 5, rotated_from: 'audit.20260101T000000000Z.jsonl' });
    expect(verifyAuditFiles(chainFiles(join(dir, 'audit.jsonl')))).toMatchObject({ ok: true, lines: 8 });
  });

  it('keeps a file cut mid-line as evidence and goes on after its last complete line', async () => {
    const dir = tempDir();
    const first = openLog(dir);
    await allowedCall(first, 1);
    await closeLog(first);
    appendRaw(join(dir, 'audit.jsonl'), '{"v":1,"id":"cut-here');
    const second = openLog(dir);
    await allowedCall(second, 2);
    const [rotated] = rotatedFiles(join(dir, 'audit.jsonl'));
    expect(JSON.parse(fileLines(join(dir, 'audit.jsonl'))[0]!)).toMatchObject({ seq: 5, rotated_from: basename(rotated!) });
    expect(verifyAuditFiles(chainFiles(join(dir, 'audit.jsonl')))).toMatchObject({ ok: false, file: rotated, line: 5, problem: 'truncated' });
    expect(verifyAuditFiles([join(dir, 'audit.jsonl')])).toMatchObject({ ok: true, lines: 4 });
  });

  it('refuses to start on a file whose last line it cannot continue (fail closed)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'audit.jsonl'), 'not json\n');
    expect(() => openLog(dir)).toThrow(/the last line of .*audit\.jsonl is not an audit line/u);
    const lenient = openLog(dir, { fail_mode: 'open' });
    await allowedCall(lenient, 1);
    expect(JSON.parse(fileLines(join(dir, 'audit.jsonl'))[0]!)).toMatchObject({ seq: 1, prev: GENESIS_HASH });
  });

  it('allows one writer per file', async () => {
    const dir = tempDir();
    openLog(dir);
    expect(() => openLog(dir)).toThrow(/is writing the audit file .*give each process its own audit\.file/u);
    // A lock left by a process that is gone is taken over.
    const other = tempDir();
    writeFileSync(join(other, 'audit.jsonl.lock'), '999999999\n');
    const audit = openLog(other);
    await allowedCall(audit, 1);
    await closeLog(audit);
    expect(existsSync(join(other, 'audit.jsonl.lock'))).toBe(false);
    expect(readdirSync(other)).toEqual(['audit.jsonl']);
  });
});
