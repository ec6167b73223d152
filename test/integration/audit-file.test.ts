import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { chainFiles, rotatedFiles, withoutChainFields } from '../../src/audit/chain.js';
import { GENESIS_HASH, sha256Hex } from '../../src/audit/digest.js';
import { AuditEventSchema } from '../../src/audit/events.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { appendRaw, auditConfig, auditFileConfig, fileLines, fileOf, quietLog, slotPath } from '../helpers/audit.js';
import { tempDir } from '../helpers/paths.js';

const open: AuditLog[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

/** An AuditLog on the audit directory `dir` (it claims the lowest free slot). */
function openLog(dir: string, over: Parameters<typeof auditConfig>[1] = {}): AuditLog {
  const audit = AuditLog.open({ config: auditConfig(dir, over), log: quietLog });
  open.push(audit);
  return audit;
}

/** An AuditLog on one fixed file (`audit.file`). */
function openFixed(file: string): AuditLog {
  const audit = AuditLog.open({ config: auditFileConfig(file), log: quietLog });
  open.push(audit);
  return audit;
}

async function closeLog(audit: AuditLog): Promise<void> {
  open.splice(open.indexOf(audit), 1);
  await audit.close();
}

/** One allowed call's events; resolves when they are in the file. */
async function allowedCall(audit: AuditLog, n: number): Promise<void> {
  const trail = audit.call({
    grant: 'ci-agent',
    session: 's1',
    server: 'mlflow',
    tool: 'get_model',
    args: { name: `m${n}`, token: `tok-${n}` },
  });
  trail.emit('call.received');
  await trail.emit('policy.decided', { rule: '/tools/get_*', action: 'allow' });
  trail.emit('call.forwarded');
  await trail.emit('call.outcome', { outcome: 'ok' });
}

describe('the audit file', () => {
  it('is one schema-valid event per line, chained by seq and the previous line hash', async () => {
    const dir = tempDir();
    const audit = openLog(dir);
    expect(audit.file).toBe(slotPath(dir, 1));
    for (let i = 0; i < 5; i++) await allowedCall(audit, i);
    const lines = fileLines(fileOf(audit));
    expect(lines).toHaveLength(20);
    let prev = GENESIS_HASH;
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed).toMatchObject({ seq: i + 1, prev });
      expect(AuditEventSchema.safeParse(withoutChainFields(parsed)).success).toBe(true);
      prev = sha256Hex(line);
    });
    expect(audit.chainHead).toEqual({ seq: 20, hash: prev });
    expect(verifyAuditFiles([fileOf(audit)])).toMatchObject({
      ok: true,
      lines: 20,
      firstSeq: 1,
      lastSeq: 20,
      head: prev,
    });
  });

  it('never holds a redacted value, only its hash', async () => {
    const dir = tempDir();
    const audit = openLog(dir);
    await audit
      .call({
        grant: 'g',
        server: 's',
        tool: 't',
        args: { nested: { client_secret: 'sk-very-secret-1' }, list: [{ password: 'hunter2-pw' }] },
      })
      .emit('call.received');
    const bytes = readFileSync(fileOf(audit), 'utf8');
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
    expect(fileLines(fileOf(audit)).map((l) => (JSON.parse(l) as { reason: string }).reason)).toEqual(
      writes.map((_, i) => `r${i}`),
    );
  });

  it('continues the chain after a restart', async () => {
    const dir = tempDir();
    const first = openLog(dir);
    await allowedCall(first, 1);
    const head = first.chainHead;
    await closeLog(first);
    const second = openLog(dir);
    expect(second.file).toBe(first.file);
    expect(second.chainHead).toEqual(head);
    await allowedCall(second, 2);
    const lines = fileLines(fileOf(second));
    expect(JSON.parse(lines[4]!)).toMatchObject({ seq: 5, prev: head.hash });
    expect(verifyAuditFiles([fileOf(second)])).toMatchObject({ ok: true, lines: 8 });
  });

  it('gives each writer of one directory its own slot, the lowest free one, and its own chain', async () => {
    const dir = tempDir();
    const [a, b, c] = [openLog(dir), openLog(dir), openLog(dir)];
    expect([a.file, b.file, c.file]).toEqual([slotPath(dir, 1), slotPath(dir, 2), slotPath(dir, 3)]);
    expect(a.instance).toBe(basename(slotPath(dir, 1), '.jsonl'));
    await Promise.all([allowedCall(a, 1), allowedCall(b, 2), allowedCall(c, 3)]);
    // Slot 2 freed: the next writer takes it (not 4) and continues b's chain.
    const bHead = b.chainHead;
    await closeLog(b);
    const d = openLog(dir);
    expect(d.file).toBe(slotPath(dir, 2));
    expect(d.chainHead).toEqual(bHead);
    await allowedCall(d, 4);
    for (const log of [a, c, d])
      expect(verifyAuditFiles(chainFiles(fileOf(log)))).toMatchObject({
        ok: true,
        firstSeq: 1,
        lastSeq: log === d ? 8 : 4,
      });
    expect(readdirSync(dir).sort()).toEqual(
      [1, 2, 3].flatMap((n) => [basename(slotPath(dir, n)), `${basename(slotPath(dir, n))}.lock`]).sort(),
    );
  });

  it('rotates by size and keeps the chain across files', async () => {
    const dir = tempDir();
    const audit = openLog(dir, { max_bytes: 2_000 });
    for (let i = 0; i < 20; i++) await allowedCall(audit, i);
    await closeLog(audit);
    const files = chainFiles(fileOf(audit));
    expect(files.slice(0, -1).every((f) => basename(f).startsWith(`${audit.instance}.`))).toBe(true);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(readFileSync(file).length).toBeLessThanOrEqual(2_000);
    // Each file's first line names the file it continues and carries its last line's hash.
    for (let i = 1; i < files.length; i++) {
      const previousLast = fileLines(files[i - 1]!).at(-1)!;
      expect(JSON.parse(fileLines(files[i]!)[0]!)).toMatchObject({
        rotated_from: basename(files[i - 1]!),
        prev: sha256Hex(previousLast),
      });
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
    const rotated = `${first.instance}.20260101T000000000Z.jsonl`;
    renameSync(fileOf(first), join(dir, rotated));
    const second = openLog(dir);
    expect(second.file).toBe(first.file);
    await allowedCall(second, 2);
    expect(JSON.parse(fileLines(fileOf(second))[0]!)).toMatchObject({ seq: 5, rotated_from: rotated });
    expect(verifyAuditFiles(chainFiles(fileOf(second)))).toMatchObject({ ok: true, lines: 8 });
  });

  it('keeps a file cut mid-line as evidence and goes on after its last complete line', async () => {
    const dir = tempDir();
    const first = openLog(dir);
    await allowedCall(first, 1);
    await closeLog(first);
    const file = fileOf(first);
    appendRaw(file, '{"v":1,"id":"cut-here');
    const second = openLog(dir);
    expect(second.file).toBe(file);
    await allowedCall(second, 2);
    const [rotated] = rotatedFiles(file);
    expect(JSON.parse(fileLines(file)[0]!)).toMatchObject({ seq: 5, rotated_from: basename(rotated!) });
    expect(verifyAuditFiles(chainFiles(file))).toMatchObject({
      ok: false,
      file: rotated,
      line: 5,
      problem: 'truncated',
    });
    expect(verifyAuditFiles([file])).toMatchObject({ ok: true, lines: 4 });
  });

  it('refuses to start on a file whose last line it cannot continue (fail closed)', async () => {
    const dir = tempDir();
    writeFileSync(slotPath(dir, 1), 'not json\n');
    expect(() => openLog(dir)).toThrow(
      new RegExp(`the last line of .*${basename(slotPath(dir, 1)).replace(/\./gu, '\\.')} is not an audit line`, 'u'),
    );
    const lenient = openLog(dir, { fail_mode: 'open' });
    expect(lenient.file).toBe(slotPath(dir, 1)); // the refused start let its slot go
    await allowedCall(lenient, 1);
    expect(JSON.parse(fileLines(slotPath(dir, 1))[0]!)).toMatchObject({ seq: 1, prev: GENESIS_HASH });
  });

  it('allows one writer for a fixed audit.file, and says how several processes can write', async () => {
    const dir = tempDir();
    const fixed = openFixed(join(dir, 'audit.jsonl'));
    expect(fixed.file).toBe(join(dir, 'audit.jsonl'));
    expect(fixed.instance).toBe('audit');
    expect(() => openFixed(join(dir, 'audit.jsonl'))).toThrow(
      /another Airlock process \(pid \d+ on .+\) is writing the audit file .*audit\.jsonl, and audit\.file allows one writer only: for several processes leave audit\.file .*unset, so each one gets its own file in audit\.dir/u,
    );
    // A lock left by a process that is gone is taken over.
    const other = tempDir();
    writeFileSync(join(other, 'audit.jsonl.lock'), '999999999\n');
    const audit = openFixed(join(other, 'audit.jsonl'));
    await allowedCall(audit, 1);
    await closeLog(audit);
    expect(existsSync(join(other, 'audit.jsonl.lock'))).toBe(false);
    expect(readdirSync(other)).toEqual(['audit.jsonl']);
  });

  it('reuses a slot whose lock names a process that is gone', async () => {
    const dir = tempDir();
    const first = openLog(dir);
    await allowedCall(first, 1);
    await closeLog(first);
    // As a killed process leaves it (test/integration/audit-processes.test.ts does it for real).
    writeFileSync(`${slotPath(dir, 1)}.lock`, `999999999 ${hostname()}\n`);
    const second = openLog(dir);
    expect(second.file).toBe(slotPath(dir, 1));
    await allowedCall(second, 2);
    expect(verifyAuditFiles([slotPath(dir, 1)])).toMatchObject({ ok: true, lines: 8 });
  });
});
