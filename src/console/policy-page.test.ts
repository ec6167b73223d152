import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../../test/helpers/paths.js';
import { waitFor } from '../../test/helpers/gateway.js';
import { formatPolicyIssues, loadPolicyFile, PolicySet } from '../policy/index.js';
import type { ClassifiedTool } from '../risk/index.js';
import {
  effectiveTables,
  handleSave,
  handleValidate,
  renderPolicyPage,
  savePolicyText,
  validatePolicyText,
} from './policy-page.js';

const standinTools = (
  JSON.parse(readFileSync(join(ROOT, 'standin/src/mlflow-mcp.tools.json'), 'utf8')) as { tools: ClassifiedTool[] }
).tools;
const SEED = join(ROOT, 'policies/mlflow.json');

const BAD = JSON.stringify({
  version: '1',
  default: 'maybe',
  tools: {
    copy_model_version: {
      action: 'require_approval',
      limits: [{ counter: 'c', window: 'minute', max: -1 }],
      colour: 'red',
    },
  },
});

/** `airlock check <file>` as its own process (the command without a build). */
function checkStderr(file: string): string {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'check', file], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(run.status).toBe(1);
  return run.stderr;
}

describe('the policy editor', () => {
  it('gives exactly the issues `airlock check` prints for the same bad file', () => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, BAD);
    const result = validatePolicyText(BAD, file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.length).toBeGreaterThanOrEqual(3);
    expect(checkStderr(file)).toBe(`airlock: ${formatPolicyIssues(file, result.issues)}\n`);
    const syntax = '{ "version": "1", }';
    writeFileSync(file, syntax);
    const broken = validatePolicyText(syntax, file);
    expect(broken).toMatchObject({ ok: false, issues: [{ path: '', message: expect.stringContaining('line 1') }] });
    if (!broken.ok) expect(checkStderr(file)).toBe(`airlock: ${formatPolicyIssues(file, broken.issues)}\n`);
  });

  it('saves only a valid text, atomically, and the watching gateway reloads it', async () => {
    const dir = tempDir();
    const file = join(dir, 'policy.json');
    const seed = readFileSync(SEED, 'utf8');
    writeFileSync(file, seed);
    const set = PolicySet.open(file, [], { info: () => {}, error: () => {} });
    try {
      const rejected = await handleSave(file, { text: BAD });
      expect(rejected).toMatchObject({ status: 422, json: { ok: false } });
      expect(readFileSync(file, 'utf8')).toBe(seed);
      expect(await handleSave(file, { nope: 1 })).toMatchObject({ status: 400 });

      const stricter = seed.replace('"get_*": {}', '"get_*": { "action": "deny", "reason": "reads paused" }');
      expect(stricter).not.toBe(seed);
      expect(await handleSave(file, { text: stricter })).toEqual({ status: 200, json: { ok: true } });
      expect(readFileSync(file, 'utf8')).toBe(stricter);
      expect(readdirSync(dir)).toEqual(['policy.json']);
      await waitFor(() => tableFor(set).decision === 'deny', 5_000, 'the watcher to reload the saved policy');
    } finally {
      set.close();
    }
    expect((await savePolicyText(file, '{')).ok).toBe(false);
    expect(handleValidate({ text: BAD })).toMatchObject({
      status: 200,
      json: { ok: false, issues: expect.any(Array) },
    });
    expect(handleValidate({ text: readFileSync(SEED, 'utf8') })).toEqual({ status: 200, json: { ok: true } });
  });
});

function tableFor(set: PolicySet) {
  const [table] = effectiveTables({
    grants: [{ name: 'ci-agent' }],
    policyFor: (g) => set.policyFor(g),
    toolsByServer: new Map([['mlflow', standinTools]]),
  });
  return table!.rows.find((r) => r.tool === 'get_run')!;
}

describe('the effective decision table', () => {
  const policy = loadPolicyFile(SEED);
  const resetsAt = '2026-08-01T12:00:30.000Z';
  const tables = effectiveTables({
    grants: [{ name: 'ci-agent' }, { name: 'notebook' }],
    policyFor: () => policy,
    toolsByServer: new Map([['mlflow', standinTools]]),
    usage: [
      {
        counter: 'copy_model_version_rate',
        scope: 'grant',
        scopeId: 'ci-agent',
        grant: 'ci-agent',
        used: 3,
        max: 30,
        window: 'minute',
        windowMs: 60_000,
        resetsAt,
        key: 'k1',
      },
      {
        counter: 'all_calls',
        scope: 'grant',
        scopeId: 'notebook',
        grant: 'notebook',
        used: 7,
        max: 600,
        window: 'minute',
        windowMs: 60_000,
        resetsAt,
        key: 'k2',
      },
    ],
  });

  it("has check's rows for the stand-in's 40 tools, per grant, with risk, rule and the counters' use", () => {
    expect(tables.map((t) => [t.grant, t.rows.length])).toEqual([
      ['ci-agent', 40],
      ['notebook', 40],
    ]);
    const row = (grant: number, tool: string) => tables[grant]!.rows.find((r) => r.tool === tool)!;
    expect(row(0, 'copy_model_version')).toMatchObject({
      decision: 'require_approval (conditional)',
      rule: '/tools/copy_model_version',
      risk: { category: 'write', level: 'medium' },
      approval: '1 of U0DEMOAPPROVER, expires 15m',
    });
    expect(row(0, 'copy_model_version').limits).toEqual([
      {
        counter: 'all_calls',
        max: 600,
        window: 'minute',
        scope: 'grant',
        rule: '/all_tools/limits/0',
        used: 0,
        resetsAt: null,
      },
      {
        counter: 'copy_model_version_rate',
        max: 30,
        window: 'minute',
        scope: 'grant',
        rule: '/tools/copy_model_version/limits/0',
        used: 3,
        resetsAt,
      },
    ]);
    expect(row(1, 'copy_model_version').limits.map((l) => l.used)).toEqual([7, 0]);
    expect(row(0, 'delete_run')).toMatchObject({ action: 'deny', risk: { category: 'destructive', level: 'high' } });
    expect(row(0, 'get_run')).toMatchObject({ decision: 'allow', rule: '/tools/get_*' });
  });

  it('renders the tables and a labelled editor with a live issue region', () => {
    const bad = validatePolicyText(BAD);
    const page = renderPolicyPage(
      { tables, file: '/etc/airlock/policy.json', text: BAD, issues: bad.ok ? [] : bad.issues },
      { title: 'Policy', user: 'alice', csrf: 'tok', current: 'policy' },
      Date.parse('2026-08-01T12:00:00.000Z'),
    ).text;
    expect(page.match(/<tr class="action-/g)).toHaveLength(80);
    expect(page).toContain('3/30 used');
    expect(page).toContain('in 30 s');
    expect(page).toMatch(/<label for="policy-text">/);
    expect(page).toMatch(/<textarea\s+id="policy-text"/);
    expect(page).toMatch(/id="policy-issues"\s+aria-live="polite"/);
    expect(page).toContain('&quot;maybe&quot;');
    expect(page).not.toContain('"maybe"');
    expect(page).toContain('name="csrf" value="tok"');
  });
});
