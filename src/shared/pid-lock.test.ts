import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { lock as acquireFileLock, tryLock, withLock as withFileLock } from './pid-lock.js';

/** The pid of a process that has exited (so `kill(pid, 0)` answers ESRCH). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn node');
  await new Promise((resolve) => child.once('exit', resolve));
  return pid;
}

function exitCode(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('pid lock', () => {
  let dir: string;
  let n = 0;
  const lockPath = () => join(dir, `state-${++n}.json.lock`);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-lock-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds "<pid> <host>\\n" while held, removes it on release and leaves no temp files', async () => {
    const path = lockPath();
    const lock = await acquireFileLock(path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid} ${hostname()}\n`);
    lock.release();
    lock.release();
    expect(readdirSync(dir).filter((f) => f.startsWith(`state-${n}.`))).toEqual([]);
  });

  it('lets one holder at a time in, and the next one in once it is released', async () => {
    const path = lockPath();
    let inside = 0;
    let most = 0;
    let done = 0;
    await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        withFileLock(
          path,
          async () => {
            inside += 1;
            most = Math.max(most, inside);
            await new Promise((resolve) => setImmediate(resolve));
            done += 1;
            inside -= 1;
          },
          { pollMs: 1 },
        ),
      ),
    );
    expect(most).toBe(1);
    expect(done).toBe(5);
  });

  it('gives up at the deadline naming the lock file and the pid holding it', async () => {
    const path = lockPath();
    const held = await acquireFileLock(path);
    try {
      await expect(acquireFileLock(path, { timeoutMs: 50, pollMs: 5 })).rejects.toThrow(
        `${path} is still held by pid ${process.pid} on ${hostname()} after 50 ms`,
      );
    } finally {
      held.release();
    }
  });

  it('takes over a lock left by a dead process', async () => {
    const path = lockPath();
    writeFileSync(path, `${await deadPid()}\n`);
    const lock = await acquireFileLock(path, { timeoutMs: 1_000 });
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid} ${hostname()}\n`);
    lock.release();
  });

  it('answers at once, without waiting: taken, or held by a live process', () => {
    const path = lockPath();
    const first = tryLock(path);
    expect(first).toBeDefined();
    expect(tryLock(path)).toBeUndefined();
    first!.release();
    tryLock(path)!.release();
  });

  it("treats another host's lock as live (its pid cannot be checked)", () => {
    const path = lockPath();
    writeFileSync(path, '1 some-other-host\n');
    expect(tryLock(path)).toBeUndefined();
  });

  it('takes over a lock holding its own pid that it does not hold (pid reused after a restart), or no pid at all', async () => {
    const own = lockPath();
    writeFileSync(own, `${process.pid}\n`);
    (await acquireFileLock(own, { timeoutMs: 1_000 })).release();

    const garbage = lockPath();
    writeFileSync(garbage, 'not a pid');
    (await acquireFileLock(garbage, { timeoutMs: 1_000 })).release();
  });

  it('does not remove a lock it did not create', async () => {
    const path = lockPath();
    const lock = await acquireFileLock(path);
    writeFileSync(path, '1\n');
    lock.release();
    expect(readFileSync(path, 'utf8')).toBe('1\n');
  });

  it('excludes other processes: 4 processes x 50 read-increment-write rounds lose nothing', async () => {
    const path = lockPath();
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    const lockModule = fileURLToPath(new URL('./pid-lock.ts', import.meta.url));
    const script = `
      const { withLock: withFileLock } = await import(${JSON.stringify(lockModule)});
      const fs = await import('node:fs');
      for (let i = 0; i < 50; i++) {
        await withFileLock(${JSON.stringify(path)}, async () => {
          const value = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8'));
          await new Promise((resolve) => setImmediate(resolve));
          fs.writeFileSync(${JSON.stringify(counter)}, String(value + 1));
        }, { pollMs: 1 });
      }`;
    const children = [1, 2, 3, 4].map(() =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    expect(await Promise.all(children.map(exitCode))).toEqual([0, 0, 0, 0]);
    expect(readFileSync(counter, 'utf8')).toBe('200');
  });
});
