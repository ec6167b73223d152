import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export interface AuditCli {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

const running: ChildProcessWithoutNullStreams[] = [];

/** `airlock audit …` as its own process (test/fixtures/audit-cli.ts: the command without a build). */
export function spawnAuditCli(...args: string[]): AuditCli {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'fixtures', 'audit-cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, AIRLOCK_LOG_LEVEL: 'silent' },
  });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, out: () => out, err: () => err, exited };
}

/** Kills what a test left running (call from afterEach). */
export function killAuditClis(): void {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}

/** Runs the command to its end: exit code and output. */
export async function runAuditCli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const cli = spawnAuditCli(...args);
  const code = await cli.exited;
  return { code, out: cli.out(), err: cli.err() };
}
