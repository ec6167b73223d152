// Turns conformance-runner output into one fixed line per spec version and, optionally, a JSON
// record of every scenario's outcome, so two runs (the fixture directly, and through the gateway)
// can be compared scenario by scenario. Run by scripts/conformance.sh with the runner's Node 22,
// which strips the types itself, so this file imports nothing but node: built-ins.
//
//   node summarize.ts --label <text> [--json <file>] [--url <url>] [--runner <name@version>] \
//     <version>=<stdout-file>,<results-dir> ...
//
// Prints `conformance <version> <label>: <P> passed, <F> failed (<N> scenarios)` per version.
// A scenario passes when none of its checks failed (the runner's own ✓); warnings are recorded.
// Exits 2 when a run left no summary (the runner did not get as far as running the scenarios).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface ScenarioOutcome {
  status: 'passed' | 'failed';
  checks: { passed: number; failed: number; warnings: number };
  failedChecks: { id: string; message: string }[];
}

interface VersionRun {
  passed: number;
  failed: number;
  total: number;
  scenarios: Record<string, ScenarioOutcome>;
}

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
  description?: string;
}

// `✓ tools-list: 3 passed, 0 failed` (or ✗), one per scenario after `=== SUMMARY ===`.
const SUMMARY_LINE = /^([✓✗]) (\S+): (\d+) passed, (\d+) failed$/u;
// Result folders are `server-<scenario>-<ISO timestamp with : and . replaced by ->`.
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/u;

function parseSummary(stdout: string): Map<string, { passed: number; failed: number }> | undefined {
  const start = stdout.lastIndexOf('=== SUMMARY ===');
  if (start < 0) return undefined;
  const rows = new Map<string, { passed: number; failed: number }>();
  for (const line of stdout.slice(start).split('\n')) {
    const match = SUMMARY_LINE.exec(line.trim());
    if (match) rows.set(match[2] ?? '', { passed: Number(match[3]), failed: Number(match[4]) });
  }
  return rows;
}

/** Every check the runner saved, by scenario (a scenario that threw saved none). */
function readChecks(resultsDir: string): Map<string, Check[]> {
  const byScenario = new Map<string, Check[]>();
  for (const entry of readdirSync(resultsDir)) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    if (scenario === undefined) continue;
    try {
      byScenario.set(scenario, JSON.parse(readFileSync(join(resultsDir, entry, 'checks.json'), 'utf8')) as Check[]);
    } catch {
      // No checks.json: the summary line still says whether it failed.
    }
  }
  return byScenario;
}

function summarizeVersion(stdoutFile: string, resultsDir: string): VersionRun | undefined {
  const summary = parseSummary(readFileSync(stdoutFile, 'utf8'));
  if (summary === undefined || summary.size === 0) return undefined;
  const checks = readChecks(resultsDir);
  const run: VersionRun = { passed: 0, failed: 0, total: summary.size, scenarios: {} };
  for (const [name, counts] of summary) {
    const saved = checks.get(name) ?? [];
    const status = counts.failed === 0 ? 'passed' : 'failed';
    run[status] += 1;
    run.scenarios[name] = {
      status,
      checks: { ...counts, warnings: saved.filter((c) => c.status === 'WARNING').length },
      failedChecks: saved
        .filter((c) => c.status === 'FAILURE')
        .map((c) => ({ id: c.id, message: c.errorMessage ?? c.description ?? '' })),
    };
  }
  return run;
}

interface Options {
  label: string;
  json?: string;
  url?: string;
  runner?: string;
  runs: { version: string; stdoutFile: string; resultsDir: string }[];
}

function parseArgs(args: string[]): Options {
  const options: Options = { label: 'run', runs: [] };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '--label' || arg === '--json' || arg === '--url' || arg === '--runner') {
      options[arg.slice(2) as 'label' | 'json' | 'url' | 'runner'] = args[(i += 1)] ?? '';
      continue;
    }
    const match = /^([^=]+)=(.+),(.+)$/u.exec(arg);
    if (!match) throw new Error(`unexpected argument: ${arg}`);
    options.runs.push({ version: match[1] ?? '', stdoutFile: match[2] ?? '', resultsDir: match[3] ?? '' });
  }
  return options;
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  const label = options.label.replace(/\s+/gu, '-') || 'run';
  const runs: Record<string, VersionRun> = {};
  let complete = true;
  for (const { version, stdoutFile, resultsDir } of options.runs) {
    const run = summarizeVersion(stdoutFile, resultsDir);
    if (run === undefined) {
      process.stderr.write(`conformance ${version} ${label}: the runner printed no summary (see ${stdoutFile})\n`);
      complete = false;
      continue;
    }
    runs[version] = run;
    process.stdout.write(
      `conformance ${version} ${label}: ${run.passed} passed, ${run.failed} failed (${run.total} scenarios)\n`,
    );
  }
  if (options.json) {
    const record = { runner: options.runner, label, url: options.url, runs };
    writeFileSync(options.json, `${JSON.stringify(record, null, 2)}\n`);
  }
  return complete ? 0 : 2;
}

process.exitCode = main();
