import { readFileSync } from 'node:fs';
import { linesOf } from './chain.js';
import { GENESIS_HASH, sha256Hex } from './digest.js';

export type VerifyProblem = 'edited' | 'removed' | 'reordered' | 'truncated' | 'malformed';

export type VerifyResult =
  | {
      ok: true;
      files: number;
      lines: number;
      /** The chain's first and last seq (absent when there are no lines). */
      firstSeq?: number;
      lastSeq?: number;
      /** SHA-256 of the last line: record it to detect later edits of the newest lines. */
      head?: string;
      /** The first file continues this rotated file, which was not given (so that link is unchecked). */
      continuesFrom?: string;
    }
  | { ok: false; file: string; line: number; problem: VerifyProblem; detail: string };

interface Parsed {
  seq: number;
  prev: string;
  rotatedFrom?: string;
}

interface Entry {
  line: Buffer;
  number: number;
  complete: boolean;
  parsed?: Parsed | null;
}

/**
 * Checks one chain spread over `files` (oldest first, as `chainFiles` lists them) and reports the
 * first line where it breaks, and how (README.md "How verify tells problems apart"):
 * - malformed: not JSON, or no integer `seq` / 64-hex `prev`;
 * - truncated: the file ends inside a line, or a file ends early (the next file's seq jumps);
 * - edited: `prev` does not match the previous line's hash (reported at the line whose bytes
 *   changed), or one line's seq is off while the next ones follow the expected order;
 * - removed: seq jumps forward and the missing seq does not come later;
 * - reordered: seq goes backwards, or jumps forward to a seq that the missing one follows.
 */
export function verifyAuditFiles(files: readonly string[]): VerifyResult {
  const chain = new ChainCheck();
  for (const [fileIndex, file] of files.entries()) {
    const broken = chain.checkFile(file, fileIndex);
    if (broken !== undefined) return broken;
  }
  return chain.result(files.length);
}

type Failure = Extract<VerifyResult, { ok: false }>;

/** The state of one chain walked line by line; each check returns the first failure, if any. */
class ChainCheck {
  private expectedSeq: number | undefined;
  private expectedPrev = GENESIS_HASH;
  private previous: { file: string; number: number } | undefined;
  private firstSeq: number | undefined;
  private continuesFrom: string | undefined;
  private total = 0;

  checkFile(file: string, fileIndex: number): Failure | undefined {
    const entries: Entry[] = [...linesOf(readFileSync(file))];
    const fail = (line: number, problem: VerifyProblem, detail: string): Failure => ({
      ok: false,
      file,
      line,
      problem,
      detail,
    });
    for (const [k, entry] of entries.entries()) {
      if (!entry.complete)
        return fail(
          entry.number,
          'truncated',
          `the file ends in the middle of line ${entry.number} (no final newline): the rest of that line, and any after it, are missing`,
        );
      const parsed = parsedAt(entries, k);
      if (parsed === undefined)
        return fail(
          entry.number,
          'malformed',
          'not an audit line: expected one JSON object with an integer "seq" and a 64-hex "prev"',
        );
      const broken =
        this.expectedSeq === undefined
          ? this.checkFirst(parsed, entry, fail)
          : parsed.seq !== this.expectedSeq
            ? this.checkSeqJump(parsed, this.expectedSeq, entries, k, fileIndex, entry, fail)
            : parsed.prev !== this.expectedPrev
              ? this.checkPrev(parsed, entries, k, file, entry, fail)
              : undefined;
      if (broken !== undefined) return broken;
      this.expectedSeq = parsed.seq + 1;
      this.expectedPrev = sha256Hex(entry.line);
      this.previous = { file, number: entry.number };
      this.total++;
    }
    return undefined;
  }

  result(files: number): VerifyResult {
    const { firstSeq, expectedSeq, expectedPrev, continuesFrom } = this;
    return {
      ok: true,
      files,
      lines: this.total,
      ...(firstSeq === undefined ? {} : { firstSeq, lastSeq: expectedSeq! - 1, head: expectedPrev }),
      ...(continuesFrom === undefined ? {} : { continuesFrom }),
    };
  }

  private checkFirst(parsed: Parsed, entry: Entry, fail: FailAt): Failure | undefined {
    if (parsed.seq === 1 && parsed.prev !== GENESIS_HASH)
      return fail(
        entry.number,
        'edited',
        `the chain's first line (seq 1) must have "prev" = 64 zeros, got ${parsed.prev}`,
      );
    if (parsed.seq > 1 && parsed.rotatedFrom === undefined) {
      return fail(
        entry.number,
        'removed',
        `the first line has seq ${parsed.seq} and continues no rotated file: ${parsed.seq - 1} line(s) before it are missing`,
      );
    }
    this.firstSeq = parsed.seq;
    if (parsed.seq > 1) this.continuesFrom = parsed.rotatedFrom;
    return undefined;
  }

  private checkSeqJump(
    parsed: Parsed,
    expected: number,
    entries: Entry[],
    k: number,
    fileIndex: number,
    entry: Entry,
    fail: FailAt,
  ): Failure {
    const next = parsedAt(entries, k + 1);
    if (next?.seq === expected + 1)
      return fail(
        entry.number,
        'edited',
        `its seq is ${parsed.seq} where ${expected} was expected, and the next line goes on from ${expected}`,
      );
    if (parsed.seq < expected)
      return fail(
        entry.number,
        'reordered',
        `seq ${parsed.seq} comes after seq ${expected - 1}: lines are out of order or repeated`,
      );
    if (entries.some((_, j) => j > k && parsedAt(entries, j)?.seq === expected)) {
      return fail(
        entry.number,
        'reordered',
        `seq ${parsed.seq} comes before seq ${expected}, which appears later: lines are out of order`,
      );
    }
    const missing = parsed.seq - expected;
    if (k === 0 && fileIndex > 0 && this.previous !== undefined) {
      return {
        ok: false,
        file: this.previous.file,
        line: this.previous.number + 1,
        problem: 'truncated',
        detail: `the file ends after line ${this.previous.number} (seq ${expected - 1}) but the next file starts at seq ${parsed.seq}: ${missing} line(s) missing at its end`,
      };
    }
    return fail(
      entry.number,
      'removed',
      `seq ${parsed.seq} follows seq ${expected - 1}: ${missing} line(s) (seq ${expected}${missing > 1 ? `–${parsed.seq - 1}` : ''}) removed before this line`,
    );
  }

  /** Either the previous line's bytes changed (the usual edit) or this line's own "prev" did; then its hash no longer matches the next line's "prev" either. */
  private checkPrev(parsed: Parsed, entries: Entry[], k: number, file: string, entry: Entry, fail: FailAt): Failure {
    const next = parsedAt(entries, k + 1);
    if (next !== undefined && next.seq === parsed.seq + 1 && next.prev !== sha256Hex(entry.line)) {
      return fail(
        entry.number,
        'edited',
        `its "prev" does not match the previous line's hash, and its own hash does not match the next line's "prev"`,
      );
    }
    const where = this.previous ?? { file, number: entry.number };
    return {
      ok: false,
      file: where.file,
      line: where.number,
      problem: 'edited',
      detail: `its hash no longer matches the "prev" recorded by the line after it (seq ${parsed.seq})`,
    };
  }
}

type FailAt = (line: number, problem: VerifyProblem, detail: string) => Failure;

function parsedAt(entries: Entry[], index: number): Parsed | undefined {
  const entry = entries[index];
  if (entry === undefined || !entry.complete) return undefined;
  if (entry.parsed === undefined) entry.parsed = parseLine(entry.line);
  return entry.parsed ?? undefined;
}

function parseLine(line: Buffer): Parsed | null {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const { seq, prev, rotated_from: rotatedFrom } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return null;
  if (typeof prev !== 'string' || !/^[0-9a-f]{64}$/u.test(prev)) return null;
  return typeof rotatedFrom === 'string' ? { seq, prev, rotatedFrom } : { seq, prev };
}

/** One line for people: "OK: …" or "<file> line <n>: <problem>: <detail>". */
export function formatVerifyResult(result: VerifyResult): string {
  if (!result.ok) return `${result.file} line ${result.line}: ${result.problem}: ${result.detail}`;
  if (result.lines === 0) return `OK: ${result.files} file(s), no lines`;
  const from = result.continuesFrom === undefined ? '' : ` (continues ${result.continuesFrom}, not given)`;
  return `OK: ${result.files} file(s), ${result.lines} line(s), seq ${result.firstSeq}–${result.lastSeq}${from}; head ${result.head}`;
}
