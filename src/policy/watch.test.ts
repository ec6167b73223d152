import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPolicy } from './compile.js';
import type { PolicyError } from './load.js';
import { watchPolicyFile, type PolicyWatch } from './watch.js';

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const policyText = (defaultAction: string) => JSON.stringify({ version: '1', default: defaultAction });

describe('watchPolicyFile', () => {
  let watch: PolicyWatch | undefined;
  afterEach(() => watch?.close());

  function start() {
    const file = join(mkdtempSync(join(tmpdir(), 'airlock-watch-')), 'policy.json');
    writeFileSync(file, policyText('deny'));
    const events: ({ change: CompiledPolicy } | { error: PolicyError })[] = [];
    watch = watchPolicyFile(file, {
      onChange: (change) => events.push({ change }),
      onError: (error) => events.push({ error }),
    });
    return { file, events };
  }

  it('reports a valid change with the new compiled policy', async () => {
    const { file, events } = start();
    writeFileSync(file, policyText('allow'));
    await until(() => events.length > 0, 'onChange');
    expect(events).toEqual([{ change: expect.objectContaining({ default: 'allow', source: file }) }]);
  });

  it('reports an invalid change to onError only, then the next valid one to onChange', async () => {
    const { file, events } = start();
    writeFileSync(file, '{ "version": "1", "default": "maybe" }');
    await until(() => events.length > 0, 'onError');
    writeFileSync(file, policyText('allow'));
    await until(() => events.length > 1, 'onChange');
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual({
      error: expect.objectContaining({
        code: 'policy_invalid',
        issues: [{ path: '/default', message: 'expected one of allow, deny, got "maybe"' }],
      }),
    });
    expect(events[1]).toEqual({ change: expect.objectContaining({ default: 'allow' }) });
  });

  it('rejects a regex RE2 does not support, naming the condition and the construct', async () => {
    const { file, events } = start();
    const deny_if = [{ path: 'args.dst_model_name', op: 'regex', value: '^prod-(?!staging)' }];
    writeFileSync(file, JSON.stringify({ version: '1', default: 'deny', tools: { copy_model_version: { deny_if } } }));
    await until(() => events.length > 0, 'onError');
    expect(events).toEqual([
      {
        error: expect.objectContaining({
          code: 'policy_invalid',
          issues: [
            {
              path: '/tools/copy_model_version/deny_if/0/value',
              message: expect.stringMatching(
                /^negative lookahead `\(\?!…\)` is not supported: policy regexes use RE2 syntax/,
              ),
            },
          ],
        }),
      },
    ]);
  });

  it('follows a file replaced by rename, as editors save', async () => {
    const { file, events } = start();
    const temp = `${file}.tmp`;
    writeFileSync(temp, policyText('allow'));
    renameSync(temp, file);
    await until(() => events.length > 0, 'onChange after rename');
    expect(events[0]).toEqual({ change: expect.objectContaining({ default: 'allow' }) });
  });

  it('collapses a burst of writes into one reload of the final text', async () => {
    const { file, events } = start();
    for (const value of ['deny', 'allow', 'deny', 'allow']) writeFileSync(file, policyText(value));
    await until(() => events.length > 0, 'onChange');
    writeFileSync(join(file, '..', 'unrelated.json'), 'not json');
    writeFileSync(file, policyText('deny'));
    await until(() => events.length > 1, 'second onChange');
    expect(events.map((e) => ('change' in e ? e.change.default : 'error'))).toEqual(['allow', 'deny']);
  });
});
