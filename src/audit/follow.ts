import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { rotatedFiles } from './chain.js';
import { listChains, type ChainSource } from './chains.js';
import type { AuditEvent } from './events.js';
import { byId, parseAuditEvent, tailFileEvents } from './reader.js';

/**
 * `audit tail -f` on files: calls `onEvent` for the newest `tail` events of all chains of
 * `source` (merged in time order), then for every line appended to any chain's live file, until
 * `signal` aborts. Chains that appear meanwhile (a process starting) are read from their first
 * line; rotations are followed (FileFollower).
 */
export async function followChains(
  source: ChainSource,
  onEvent: (event: AuditEvent) => void,
  signal: AbortSignal,
  { tail = 0, pollMs = 200 }: { tail?: number; pollMs?: number } = {},
): Promise<void> {
  const followers = new Map<string, FileFollower>();
  const newest: AuditEvent[] = [];
  for (const chain of listChains(source)) {
    const follower = new FileFollower(chain.live, onEvent);
    newest.push(...follower.startAtEnd(tail));
    followers.set(chain.instance, follower);
  }
  if (tail > 0) newest.sort(byId).slice(-tail).forEach(onEvent);
  try {
    while (!signal.aborted) {
      for (const chain of listChains(source)) {
        if (followers.has(chain.instance)) continue;
        const follower = new FileFollower(chain.live, onEvent);
        follower.startAtBeginning();
        followers.set(chain.instance, follower);
      }
      for (const follower of followers.values()) follower.poll();
      await sleep(pollMs, undefined, { signal }).catch(() => {});
    }
  } finally {
    for (const follower of followers.values()) follower.close();
  }
}

/**
 * One chain's live file, read as it grows. Across rotations: the renamed file is read to its end,
 * then every file rotated after it, then the new live file from its start, so no line is missed
 * or repeated.
 */
class FileFollower {
  private fd: number | undefined;
  private ino: number | undefined;
  private offset = 0;
  private rest = '';
  private decoder = new StringDecoder('utf8');

  constructor(
    private readonly file: string,
    private readonly onEvent: (event: AuditEvent) => void,
  ) {}

  /** Opens the live file at its end; returns the last `tail` events before that point (not emitted). */
  startAtEnd(tail: number): AuditEvent[] {
    if (this.openLive(true)) return tailFileEvents(this.file, tail, this.offset);
    return tailFileEvents(this.file, tail);
  }

  /** For a chain that appeared while following: every line of it is new. */
  startAtBeginning(): void {
    // The live file first: files rotated after this point are then found through it in poll().
    this.openLive(false);
    for (const path of rotatedFiles(this.file)) if (inoOf(path) !== this.ino) this.emitWhole(path);
  }

  /** Emits what was appended since the last call. */
  poll(): void {
    this.drain();
    const live = inoOf(this.file);
    if (this.fd === undefined) {
      if (live !== undefined && this.openLive(false)) this.drain();
      return;
    }
    if (live === undefined || live === this.ino) return;
    // Rotated: the old file is complete now (renamed before the new one was opened). Read its
    // last lines, open the new live file, then read the files rotated in between.
    this.drain();
    const old = this.ino;
    this.close();
    if (!this.openLive(false)) return;
    const rotated = rotatedFiles(this.file);
    const from = rotated.findIndex((path) => inoOf(path) === old);
    for (const path of from < 0 ? [] : rotated.slice(from + 1)) if (inoOf(path) !== this.ino) this.emitWhole(path);
    this.drain();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private openLive(atEnd: boolean): boolean {
    try {
      this.fd = openSync(this.file, 'r');
    } catch {
      return false;
    }
    const stat = fstatSync(this.fd);
    this.ino = stat.ino;
    this.offset = atEnd ? stat.size : 0;
    this.rest = '';
    this.decoder = new StringDecoder('utf8');
    return true;
  }

  private drain(): void {
    if (this.fd === undefined) return;
    const buffer = Buffer.alloc(64 * 1024);
    for (
      let n = readSync(this.fd, buffer, 0, buffer.length, this.offset);
      n > 0;
      n = readSync(this.fd, buffer, 0, buffer.length, this.offset)
    ) {
      this.offset += n;
      const lines = (this.rest + this.decoder.write(buffer.subarray(0, n))).split('\n');
      this.rest = lines.pop() ?? '';
      this.emitLines(lines);
    }
  }

  private emitWhole(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return; // moved away meanwhile
    }
    this.emitLines(text.split('\n').slice(0, -1));
  }

  private emitLines(lines: string[]): void {
    for (const line of lines) {
      const event = parseAuditEvent(line);
      if (event !== undefined) this.onEvent(event);
    }
  }
}

function inoOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}
