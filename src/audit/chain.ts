import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/**
 * The hash-chained JSONL format (see README.md "Chain format"). A line is an event's JSON with
 * three more members appended: `seq` (1, 2, 3, … across the whole chain, rotations included),
 * `prev` (SHA-256 hex of the previous line's exact bytes, without its "\n"; 64 zeros before the
 * first line) and, on the first line of a file that continues a rotated one, `rotated_from`
 * (that file's base name). Lines end with "\n".
 */
export function chainLine(eventJson: string, seq: number, prev: string, rotatedFrom?: string): string {
  const from = rotatedFrom === undefined ? '' : `,"rotated_from":${JSON.stringify(rotatedFrom)}`;
  return `${eventJson.slice(0, -1)},"seq":${seq},"prev":"${prev}"${from}}`;
}

/** An event object without the chain members a file line adds. */
export function withoutChainFields(line: Record<string, unknown>): Record<string, unknown> {
  const { seq: _seq, prev: _prev, rotated_from: _from, ...event } = line;
  return event;
}

/** `audit.jsonl` → `audit.20260801T120000123Z.jsonl` (sorts as text in time order). */
export function rotatedPath(file: string, stampMs: number): string {
  const ext = extname(file);
  const stem = basename(file, ext);
  const stamp = new Date(stampMs).toISOString().replace(/[-:.]/gu, '');
  return join(dirname(file), `${stem}.${stamp}${ext}`);
}

/** The time in a rotated file's name, or undefined for other names. */
export function rotationStamp(file: string, rotated: string): number | undefined {
  const ext = extname(file);
  const stem = basename(file, ext);
  const name = basename(rotated);
  if (!name.startsWith(`${stem}.`) || !name.endsWith(ext)) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/u.exec(
    name.slice(stem.length + 1, name.length - ext.length),
  );
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!) : undefined;
}

/** The rotated predecessors of `file`, oldest first. */
export function rotatedFiles(file: string): string[] {
  const dir = dirname(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => rotationStamp(file, name) !== undefined)
    .sort()
    .map((name) => join(dir, name));
}

/** The whole chain in order: rotated files oldest first, then the live file (when it exists). */
export function chainFiles(file: string): string[] {
  return [...rotatedFiles(file), ...(existsSync(file) ? [file] : [])];
}

export interface FileTail {
  /** The last complete lines (without "\n"), oldest first; at most the number asked for. */
  lines: Buffer[];
  /** Bytes after the last "\n": a line cut mid-way (a crash or a full disk during a write). */
  partial: Buffer | undefined;
  size: number;
}

/** The last `count` complete lines of a file (or of its first `end` bytes), read backwards in chunks. */
export function readTail(path: string, count: number, end?: number): FileTail {
  const fd = openSync(path, 'r');
  try {
    const size = Math.min(fstatSync(fd).size, end ?? Number.MAX_SAFE_INTEGER);
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buffer = Buffer.alloc(size - start);
      let read = 0;
      while (read < buffer.length) {
        const n = readSync(fd, buffer, read, buffer.length - read, start + read);
        if (n === 0) break;
        read += n;
      }
      const tail = splitTail(buffer.subarray(0, read), count, start === 0);
      if (tail) return { ...tail, size };
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/** undefined: the buffer may start inside a line we need (read more). */
function splitTail(buffer: Buffer, count: number, atStart: boolean): Omit<FileTail, 'size'> | undefined {
  let end = buffer.lastIndexOf(0x0a);
  const partial = end === buffer.length - 1 ? undefined : buffer.subarray(end + 1);
  if (end < 0) return atStart ? { lines: [], partial: buffer.length > 0 ? buffer : undefined } : undefined;
  const lines: Buffer[] = [];
  while (lines.length < count) {
    const before = end === 0 ? -1 : buffer.lastIndexOf(0x0a, end - 1);
    if (before < 0 && !atStart) return undefined;
    lines.unshift(buffer.subarray(before + 1, end));
    if (before < 0) break;
    end = before;
  }
  return { lines, partial };
}

/** Each complete line of a buffer (without "\n") with its 1-based number; `partial` gets the rest. */
export function* linesOf(buffer: Buffer): Generator<{ line: Buffer; number: number; complete: boolean }> {
  let start = 0;
  let number = 1;
  while (start < buffer.length) {
    const end = buffer.indexOf(0x0a, start);
    if (end < 0) {
      yield { line: buffer.subarray(start), number, complete: false };
      return;
    }
    yield { line: buffer.subarray(start, end), number, complete: true };
    start = end + 1;
    number++;
  }
}
