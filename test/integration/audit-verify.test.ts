import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { chainFiles } from '../../src/audit/chain.js';
import { formatVerifyResult, verifyAuditFiles } from '../../src/audit/verify.js';
import { auditCommand } from '../../src/cli/audit-command.js';
import { auditConfig, auditFileConfig, fileLines, fileOf, quietLog, writeLines } from '../helpers/audit.js';
import { tempDir, writeJson } from '../helpers/paths.js';

let dir: string;
let clean: string;
let lines: string[];
let rotatedDir: string;

beforeAll(async () => {
  dir = tempDir('airlock-verify-');
  const audit = AuditLog.open({ config: auditConfig(dir), log: quietLog });
  for (let i = 1; i <= 10; i++)
    await audit.call({ grant: 'g', server: 's', tool: 'get_model', args: { n: i } }).emit('call.received');
  await audit.close();
  clean = fileOf(audit);
  lines = fileLines(clean);

  rotatedDir = tempDir('airlock-verify-rotated-');
  // A fixed audit.file: `verify` with no files reads that chain (audit-chains-cli.test.ts: the directory).
  const rotating = AuditLog.open({
    config: auditFileConfig(join(rotatedDir, 'audit.jsonl'), { max_bytes: 1_200 }),
    log: quietLog,
  });
  for (let i = 1; i <= 12; i++)
    await rotating.call({ grant: 'g', server: 's', tool: 'get_model', args: { n: i } }).emit('call.received');
  await rotating.close();
});

/** A tampered copy of the clean file. */
function tampered(name: string, edit: (lines: string[]) => string[]): string {
  const path = join(dir, `${name}.jsonl`);
  writeLines(path, edit([...lines]));
  return path;
}

describe('verifyAuditFiles', () => {
  it('passes a clean file and reports its head', () => {
    const result = verifyAuditFiles([clean]);
    expect(result).toMatchObject({ ok: true, files: 1, lines: 10, firstSeq: 1, lastSeq: 10 });
    expect(formatVerifyResult(result)).toMatch(/^OK: 1 file\(s\), 10 line\(s\), seq 1–10; head [0-9a-f]{64}$/u);
  });

  it('pinpoints an edited line', () => {
    const path = tampered('edited', (l) => {
      l[3] = l[3]!.replace('"n":4', '"n":40');
      return l;
    });
    expect(verifyAuditFiles([path])).toMatchObject({ ok: false, file: path, line: 4, problem: 'edited' });
  });

  it('pinpoints a line whose own prev was rewritten, and a line whose seq was changed', () => {
    const prevEdited = tampered('prev-edited', (l) => {
      l[5] = l[5]!.replace(/"prev":"[0-9a-f]{64}"/u, `"prev":"${'1'.repeat(64)}"`);
      return l;
    });
    expect(verifyAuditFiles([prevEdited])).toMatchObject({ ok: false, line: 6, problem: 'edited' });
    const seqEdited = tampered('seq-edited', (l) => {
      l[6] = l[6]!.replace('"seq":7', '"seq":70');
      return l;
    });
    expect(verifyAuditFiles([seqEdited])).toMatchObject({ ok: false, line: 7, problem: 'edited' });
  });

  it('pinpoints a deleted line', () => {
    const path = tampered('deleted', (l) => l.filter((_, i) => i !== 4));
    expect(verifyAuditFiles([path])).toMatchObject({
      ok: false,
      line: 5,
      problem: 'removed',
      detail: expect.stringContaining('seq 6 follows seq 4: 1 line(s) (seq 5) removed'),
    });
    const first = tampered('first-deleted', (l) => l.slice(2));
    expect(verifyAuditFiles([first])).toMatchObject({ ok: false, line: 1, problem: 'removed' });
  });

  it('pinpoints swapped lines', () => {
    const path = tampered('swapped', (l) => {
      [l[6], l[7]] = [l[7]!, l[6]!];
      return l;
    });
    expect(verifyAuditFiles([path])).toMatchObject({ ok: false, line: 7, problem: 'reordered' });
    const repeated = tampered('repeated', (l) => [...l.slice(0, 3), l[1]!, ...l.slice(3)]);
    expect(verifyAuditFiles([repeated])).toMatchObject({ ok: false, line: 4, problem: 'reordered' });
  });

  it('pinpoints a file cut mid-line', () => {
    const path = join(dir, 'truncated.jsonl');
    copyFileSync(clean, path);
    truncateSync(path, readFileSync(clean).length - 30);
    expect(verifyAuditFiles([path])).toMatchObject({ ok: false, line: 10, problem: 'truncated' });
  });

  it('reports a line that is not an audit line', () => {
    const path = tampered('malformed', (l) => {
      l[2] = '{"hello":';
      return l;
    });
    expect(verifyAuditFiles([path])).toMatchObject({ ok: false, line: 3, problem: 'malformed' });
  });

  it('verifies a rotated chain, and reports a rotated file that lost its last lines', () => {
    const files = chainFiles(join(rotatedDir, 'audit.jsonl'));
    expect(files.length).toBeGreaterThan(2);
    expect(verifyAuditFiles(files)).toMatchObject({ ok: true, files: files.length, lines: 12 });
    const cut = fileLines(files[0]!);
    writeLines(files[0]!, cut.slice(0, -1));
    expect(verifyAuditFiles(files)).toMatchObject({
      ok: false,
      file: files[0],
      line: cut.length,
      problem: 'truncated',
    });
    writeLines(files[0]!, cut);
    expect(verifyAuditFiles([files[0]!, ...files.slice(2)])).toMatchObject({
      ok: false,
      file: files[0],
      problem: 'truncated',
    });
    expect(verifyAuditFiles(files).ok).toBe(true);
  });
});

describe('airlock audit verify', () => {
  async function run(...args: string[]): Promise<{ out: string; code: number | undefined }> {
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += chunk.toString();
      return true;
    });
    const before = process.exitCode;
    process.exitCode = undefined;
    try {
      await auditCommand().parseAsync(['node', 'airlock-audit', ...args]);
      return { out, code: process.exitCode as number | undefined };
    } finally {
      write.mockRestore();
      process.exitCode = before;
    }
  }

  it('prints OK for a clean file, and exits non-zero naming the file and line of a break', async () => {
    expect(await run('verify', clean)).toEqual({
      out: expect.stringMatching(/^OK: 1 file\(s\), 10 line\(s\)/u),
      code: undefined,
    });
    const path = tampered('cli-deleted', (l) => l.filter((_, i) => i !== 2));
    expect(await run('verify', path)).toEqual({
      out: `audit chain broken: ${path} line 3: removed: seq 4 follows seq 2: 1 line(s) (seq 3) removed before this line\n`,
      code: 1,
    });
  });

  it('verifies the configured audit.file and its rotated predecessors when no file is given', async () => {
    const config = writeJson(join(rotatedDir, 'airlock.config.json'), {
      upstreams: { x: { command: 'true' } },
      policy: 'policy.json',
      grants: [{ name: 'g', token: 'g-token-0123456789abcdef' }],
      audit: { file: 'audit.jsonl' },
    });
    const { out, code } = await run('verify', '-c', config);
    expect(code).toBeUndefined();
    expect(out).toMatch(
      new RegExp(
        `^audit: OK: ${chainFiles(join(rotatedDir, 'audit.jsonl')).length} file\\(s\\), 12 line\\(s\\), seq 1–12; head [0-9a-f]{64}\n$`,
        'u',
      ),
    );
    writeFileSync(join(rotatedDir, 'audit.jsonl'), 'garbage\n', { flag: 'a' });
    expect(await run('verify', '--config', config)).toEqual({
      out: expect.stringMatching(/^audit: audit chain broken: .*\/audit\.jsonl line \d+: malformed/u),
      code: 1,
    });
  });
});
