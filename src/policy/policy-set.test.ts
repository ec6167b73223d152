import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyError } from './load.js';
import { PolicySet } from './policy-set.js';

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function files() {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-set-'));
  const write = (name: string, body: object) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify({ version: '1', ...body }));
    return path;
  };
  return {
    global: write('global.json', { default: 'deny' }),
    strict: write('strict.json', { default: 'deny', hide: ['*'] }),
    write,
  };
}

function recordingLog() {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    info: (_: object, message: string) => lines.push({ level: 'info', message }),
    error: (_: object, message: string) => lines.push({ level: 'error', message }),
  };
}

describe('PolicySet', () => {
  let set: PolicySet | undefined;
  afterEach(() => set?.close());

  it('gives a grant its own policy file, and the others the global one', () => {
    const f = files();
    set = PolicySet.open(f.global, [{ name: 'ci', policy: f.strict }, { name: 'laptop' }], recordingLog(), {
      watch: false,
    });
    expect(set.policyFor({ policy: f.strict }).source).toBe(f.strict);
    expect(set.policyFor({}).source).toBe(f.global);
  });

  it('refuses to open with an invalid file', () => {
    const f = files();
    const bad = f.write('bad.json', { default: 'maybe' });
    expect(() => PolicySet.open(f.global, [{ name: 'ci', policy: bad }], recordingLog())).toThrow(PolicyError);
  });

  it('applies a valid edit and emits "changed"; logs an invalid one and keeps the previous policy', async () => {
    const f = files();
    const log = recordingLog();
    set = PolicySet.open(f.global, [], log);
    const changed: string[] = [];
    set.on('changed', (file) => changed.push(file));
    f.write('global.json', { default: 'allow' });
    await until(() => changed.length === 1, 'changed');
    expect(set.policyFor({}).default).toBe('allow');
    f.write('global.json', { default: 'maybe' });
    await until(() => log.lines.some((l) => l.level === 'error'), 'error logged');
    expect(set.policyFor({}).default).toBe('allow');
    expect(changed).toEqual([f.global]);
    expect(log.lines.find((l) => l.level === 'error')?.message).toMatch(
      /rejected.*\n.*\/default: expected one of allow, deny, got "maybe"/,
    );
  });
});
