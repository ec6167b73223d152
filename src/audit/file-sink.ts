import { closeSync, existsSync, fdatasyncSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { AirlockError, describeError, type Logger } from '../shared/index.js';
import { chainLine, readTail, rotatedFiles, rotatedPath, rotationStamp } from './chain.js';
import { GENESIS_HASH, sha256Hex } from './digest.js';
import { AuditUnavailableError } from './errors.js';
import { claimFixedFile, claimSlot, reclaim, release, stillHeld, type ClaimedFile } from './slots.js';

export interface FileSinkOptions {
  /** The audit directory: the sink claims the lowest free slot `<host>-<n>.jsonl` in it (slots.ts). */
  dir?: string | undefined;
  /** One fixed file instead (wins over `dir`): one writer only, a second one is refused. */
  file?: string | undefined;
  /** Rotate before a write would make the file larger than this. */
  maxBytes: number;
  /** closed: a failed write rejects `append` (the gateway refuses calls); open: log and go on. */
  failMode: 'closed' | 'open';
  /** fdatasync after every batch (survives power loss, costs a disk flush per batch). Default false. */
  fsync?: boolean;
  /** Least time between attempts to reopen the file after a failure. Default 1000 ms. */
  retryMs?: number;
  log: Logger;
  now?: () => number;
}

/** The last line written: its chain position and hash. */
export interface ChainHead {
  seq: number;
  hash: string;
}

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

type Target = { file: string } | { dir: string };

/**
 * The append-only, hash-chained JSONL file (format: chain.ts, README.md). Events appended in the
 * same turn of the event loop are written together by one write(2) on an O_APPEND descriptor in
 * the next one (setImmediate); `append` resolves when its batch is in the file (the page cache:
 * see `fsync`). Writes are synchronous: a few microseconds per batch, strictly ordered, and the
 * chain state can never run ahead of what the file holds.
 */
export class FileSink {
  private readonly target: Target;
  /** The file this sink writes and holds the lock of; undefined until a slot could be claimed. */
  private claimed: ClaimedFile | undefined;
  private fd: number | undefined;
  private size = 0;
  private head: ChainHead = { seq: 0, hash: GENESIS_HASH };
  /** `rotated_from` for the next line written. */
  private rotatedFrom: string | undefined;
  private lastStamp = 0;
  private queue: string[] = [];
  private batch: Batch | undefined;
  private error: AuditUnavailableError | undefined;
  private lastAttempt = 0;
  private closed = false;
  private readonly now: () => number;

  private constructor(private readonly options: FileSinkOptions) {
    if (options.file !== undefined) this.target = { file: resolve(options.file) };
    else if (options.dir !== undefined) this.target = { dir: resolve(options.dir) };
    else throw new AirlockError('config_invalid', 'the audit trail needs audit.dir (or one fixed audit.file)');
    this.now = options.now ?? Date.now;
  }

  /**
   * Claims the file (a free slot of the directory, or the fixed file; creating the directory) and
   * continues the chain from its last line, or from the newest rotated file. Fail-closed sinks
   * throw AuditUnavailableError when the file cannot be opened; fail-open ones start unhealthy
   * and keep trying. A fixed file held by a live process is refused in both modes.
   */
  static open(options: FileSinkOptions): FileSink {
    const sink = new FileSink(options);
    try {
      sink.claim();
      sink.openChain();
    } catch (error) {
      if (error instanceof AirlockError && error.code === 'config_invalid') throw error;
      sink.fail(error);
      if (options.failMode === 'closed') {
        release(sink.claimed);
        throw sink.error;
      }
    }
    return sink;
  }

  /** The file written (absolute); undefined while no slot of the directory could be claimed. */
  get file(): string | undefined {
    return this.claimed?.file ?? ('file' in this.target ? this.target.file : undefined);
  }

  /** The chain's name: `<host>-<n>` in the directory, or the fixed file's name without extension. */
  get instance(): string | undefined {
    const file = this.file;
    return file === undefined ? undefined : basename(file, extname(file));
  }

  get healthy(): boolean {
    return this.error === undefined;
  }

  get lastError(): AuditUnavailableError | undefined {
    return this.error;
  }

  /** The last line written (seq 0 and 64 zeros before the first). */
  get chainHead(): ChainHead {
    return { ...this.head };
  }

  /**
   * Queues one event (its JSON, one object) and returns its batch's promise: resolved once the
   * batch is in the file; in closed mode rejected with AuditUnavailableError when it could not be
   * written. The promise is pre-handled, so not awaiting it never crashes the process.
   */
  append(eventJson: string): Promise<void> {
    if (this.closed) return this.settled(this.unavailable('the audit log is closed'));
    this.queue.push(eventJson);
    if (this.batch === undefined) {
      this.batch = newBatch();
      setImmediate(() => this.writeQueued());
    }
    return this.batch.promise;
  }

  /** Writes what is queued now; resolves (or rejects, closed mode) as `append` would. */
  flush(): Promise<void> {
    const batch = this.batch;
    this.writeQueued();
    return batch?.promise ?? Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const written = this.flush(); // synchronous: the batch is in the file before the close below
    this.closed = true;
    this.closeFd();
    release(this.claimed);
    await written.catch(() => {});
  }

  private writeQueued(): void {
    const lines = this.queue;
    const batch = this.batch;
    this.queue = [];
    this.batch = undefined;
    if (batch === undefined) return;
    try {
      if (this.error !== undefined) this.reopen();
      this.writeLines(lines);
      if (this.error !== undefined) {
        this.options.log.warn({ file: this.live, seq: this.head.seq }, 'the audit file is writable again');
        this.error = undefined;
      }
      batch.resolve();
    } catch (error) {
      this.fail(error);
      if (this.options.failMode === 'closed') batch.reject(this.error!);
      else batch.resolve();
    }
  }

  private writeLines(events: string[]): void {
    let { seq, hash } = this.head;
    let from = this.rotatedFrom;
    let parts: Buffer[] = [];
    let bytes = 0;
    for (const event of events) {
      let line = this.format(event, seq + 1, hash, from);
      if (this.size + bytes + line.length > this.options.maxBytes && this.size + bytes > 0) {
        this.writeOut(parts, bytes, { seq, hash });
        parts = [];
        bytes = 0;
        this.rotate();
        from = this.rotatedFrom;
        line = this.format(event, seq + 1, hash, from);
      }
      parts.push(line);
      bytes += line.length;
      hash = sha256Hex(line.subarray(0, line.length - 1));
      seq += 1;
      from = undefined;
    }
    this.writeOut(parts, bytes, { seq, hash });
  }

  /** The line's bytes, "\n" included. */
  private format(eventJson: string, seq: number, prev: string, from: string | undefined): Buffer {
    return Buffer.from(`${chainLine(eventJson, seq, prev, from)}\n`);
  }

  private writeOut(parts: Buffer[], bytes: number, head: ChainHead): void {
    if (bytes === 0) return;
    const fd = this.fd;
    if (fd === undefined) throw new Error('the audit file is not open');
    const buffer = parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
    let written = 0;
    while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written);
    if (this.options.fsync) fdatasyncSync(fd);
    // Writes to a deleted file (or one in a removed directory) succeed and vanish.
    if (fstatSync(fd).nlink === 0) throw new Error('the file was deleted, or its directory removed, while open');
    this.size += bytes;
    this.head = head;
    this.rotatedFrom = undefined;
  }

  private rotate(): void {
    this.closeFd();
    const file = this.live;
    if (this.lastStamp === 0)
      this.lastStamp = Math.max(0, ...rotatedFiles(file).map((f) => rotationStamp(file, f) ?? 0));
    let stamp = Math.max(this.now(), this.lastStamp + 1);
    while (existsSync(rotatedPath(file, stamp))) stamp++;
    const target = rotatedPath(file, stamp);
    renameSync(file, target);
    this.lastStamp = stamp;
    this.fd = openSync(file, 'a');
    this.size = 0;
    this.rotatedFrom = basename(target);
  }

  /**
   * Opens the live file and finds where the chain goes on (README.md "Restart and recovery"):
   * after the live file's last line; after the newest rotated file's; or, when recovering, after
   * the last line this process wrote if that is further (so lost lines show as a gap).
   */
  private openChain(known?: ChainHead): void {
    this.fd = openSync(this.live, 'a');
    this.size = fstatSync(this.fd).size;
    const disk = this.size > 0 ? this.liveHead() : this.rotatedHead();
    if (known !== undefined && known.seq > (disk?.seq ?? 0)) {
      this.head = known;
      this.rotatedFrom = undefined;
    } else if (disk !== undefined) {
      this.head = disk;
    }
  }

  private liveHead(): ChainHead | undefined {
    const file = this.live;
    const tail = readTail(file, 1);
    const last = tail.lines[0];
    let head: ChainHead | undefined;
    try {
      head = last === undefined ? undefined : headOf(last, file);
    } catch (error) {
      if (this.options.failMode === 'closed') throw error;
      this.options.log.error(
        { file, err: describeError(error) },
        'rotating the audit file away and starting a new chain',
      );
      this.rotate();
      return { seq: 0, hash: GENESIS_HASH };
    }
    if (tail.partial !== undefined || head === undefined) {
      // A line cut mid-way (crash, full disk): keep the evidence in a rotated file, go on after it.
      this.options.log.error(
        { file },
        'the audit file ends with a cut line; rotating it away (audit verify reports it)',
      );
      this.rotate();
    }
    return head ?? this.rotatedHead();
  }

  private rotatedHead(): ChainHead | undefined {
    const previous = rotatedFiles(this.live)
      .filter((f) => basename(f) !== this.rotatedFrom)
      .at(-1);
    if (previous === undefined) return undefined;
    const last = readTail(previous, 1).lines[0];
    if (last === undefined) return undefined;
    this.rotatedFrom ??= basename(previous);
    return headOf(last, previous);
  }

  /** After a failure: open the file afresh (at most every retryMs); healthy again after a write. */
  private reopen(): void {
    const now = this.now();
    if (now - this.lastAttempt < (this.options.retryMs ?? 1_000)) throw this.error!.cause;
    this.lastAttempt = now;
    this.closeFd();
    const sameFile = this.claim();
    if (!sameFile) {
      // Another file (another chain) from here on: nothing of the old one carries over.
      this.head = { seq: 0, hash: GENESIS_HASH };
      this.rotatedFrom = undefined;
      this.lastStamp = 0;
    }
    this.openChain(sameFile ? this.head : undefined);
  }

  /**
   * Holds the lock of the file to write, creating its directory: at start, and again after a
   * failure, since removing the directory removes the lock too and another process could claim
   * the file. False when it had to move to another file (another chain).
   */
  private claim(): boolean {
    const before = this.claimed;
    if (before !== undefined && stillHeld(before)) return true;
    mkdirSync('file' in this.target ? dirname(this.target.file) : this.target.dir, { recursive: true });
    const again = before === undefined ? undefined : reclaim(before);
    if (again !== undefined) {
      this.claimed = again;
      return true;
    }
    if ('file' in this.target) {
      this.claimed = claimFixedFile(this.target.file);
    } else {
      this.claimed = claimSlot(this.target.dir);
      if (before !== undefined)
        this.options.log.warn(
          { lost: before.file, file: this.claimed.file },
          'another writer took this audit file while its directory was gone; writing to a free slot instead',
        );
    }
    return before === undefined || before.file === this.claimed.file;
  }

  /** The file being written (only called once a file is claimed). */
  private get live(): string {
    const file = this.file;
    if (file === undefined) throw new Error('no audit file is claimed yet');
    return file;
  }

  private unavailable(cause: unknown): AuditUnavailableError {
    const { failMode } = this.options;
    if (this.file !== undefined) return new AuditUnavailableError(this.file, cause, 'file', failMode);
    return new AuditUnavailableError('dir' in this.target ? this.target.dir : '', cause, 'directory', failMode);
  }

  private fail(cause: unknown): void {
    const error = cause instanceof AuditUnavailableError ? cause : this.unavailable(cause);
    if (this.error === undefined) {
      this.options.log.error(
        { file: this.file, err: describeError(cause), fail_mode: this.options.failMode },
        'cannot write the audit file',
      );
      this.lastAttempt = this.now();
    }
    this.error = error;
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = undefined;
  }

  private settled(error: AuditUnavailableError): Promise<void> {
    if (this.options.failMode === 'open') return Promise.resolve();
    const promise = Promise.reject(error);
    promise.catch(() => {});
    return promise;
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function headOf(line: Buffer, file: string): ChainHead {
  let seq: unknown;
  try {
    seq = (JSON.parse(line.toString('utf8')) as { seq?: unknown }).seq;
  } catch {
    seq = undefined;
  }
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) {
    throw new Error(
      `the last line of ${file} is not an audit line with a "seq", so the chain cannot go on from it (run \`airlock audit verify\`, then move the file away)`,
    );
  }
  return { seq, hash: sha256Hex(line) };
}
