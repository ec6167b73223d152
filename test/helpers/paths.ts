import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');
/** The MLflow stand-in's own program (standin/), as the embedded default runs it. */
export const STANDIN_CLI = join(ROOT, 'dist', 'standin', 'standin', 'src', 'cli.js');
export const FIXTURE_UPSTREAM = join(ROOT, 'test', 'fixtures', 'upstream-fixture.ts');

export function tempDir(prefix = 'airlock-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

/** Upstream entries for configs: the MLflow stand-in and the behaviour fixture, as real child processes. */
export const upstreams = {
  standin: (extraArgs: string[] = []) => ({ command: process.execPath, args: [STANDIN_CLI, ...extraArgs] }),
  fixture: (callLog: string) => ({
    command: process.execPath,
    args: ['--import', 'tsx', FIXTURE_UPSTREAM],
    env: { FIXTURE_CALL_LOG: callLog },
    cwd: ROOT,
  }),
};
