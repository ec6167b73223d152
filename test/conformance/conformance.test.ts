import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGatewayConfig } from '../helpers/config.js';
import { startGateway, stopProcess, type GatewayProcess } from '../helpers/gateway.js';
import { ROOT, tempDir } from '../helpers/paths.js';
import { startTokenProxy } from './token-proxy.js';

/**
 * The official conformance runner against our fixture alone, and against Airlock (allow-all) in
 * front of it, with the fixture as an HTTP upstream and as a stdio upstream. Airlock must pass
 * every scenario the fixture passes, at both protocol revisions and in the tasks extension's
 * scenarios (upstream tasks passed through, `extension-tasks`).
 */
const VERSIONS = ['2025-11-25', '2026-07-28', 'extension-tasks'] as const;
const TOKEN = 'conformance-agent-token-0123456789';
const FIXTURE = join(ROOT, 'test/conformance/fixture-server.ts');
const dir = tempDir('airlock-conformance-');

interface Run {
  runs: Record<
    string,
    { passed: number; failed: number; total: number; scenarios: Record<string, { status: string }> }
  >;
}

const stops: (() => Promise<void>)[] = [];
let fixtureUrl = '';

/** The fixture on a free loopback port, over HTTP. */
async function startFixture(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, '--http', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /conformance fixture listening on (http:\S+)/u.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the fixture exited (${code}) before listening:\n${stderr}`)));
  });
  return { child, url };
}

const eras = new Map<string, string | undefined>();

/** Airlock allowing everything in front of `upstream`, reached through a token-adding proxy. */
async function airlockBefore(name: string, upstream: Record<string, unknown>): Promise<string> {
  const config = writeGatewayConfig(
    dir,
    {
      upstreams: { fixture: upstream },
      policy: { version: '1', default: 'allow' },
      grants: [{ name: 'conformance', token: TOKEN }],
    },
    { name },
  );
  const gateway: GatewayProcess = await startGateway({ config, env: { AIRLOCK_LOG_LEVEL: 'info' } });
  stops.push(() => gateway.stop());
  const ready = (await (await fetch(`${gateway.baseUrl}/readyz`)).json()) as {
    upstreams: Record<string, { era?: string }>;
  };
  eras.set(name, ready.upstreams['fixture']?.era);
  const proxy = await startTokenProxy(gateway.mcpUrl, TOKEN);
  stops.push(proxy.close);
  return proxy.url;
}

/** scripts/conformance.sh at both versions and the tasks extension; its JSON record. */
function runSuite(url: string, label: string): Promise<Run> {
  const json = join(dir, `${label}.json`);
  return new Promise((resolve, reject) => {
    const args = ['--url', url, '--extension', 'tasks', '--label', label, '--json', json];
    const child = spawn('sh', ['scripts/conformance.sh', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`conformance.sh ${label} exited ${code}:\n${output}`));
      else resolve(JSON.parse(readFileSync(json, 'utf8')) as Run);
    });
  });
}

const results = new Map<string, Run>();

beforeAll(async () => {
  const fixture = await startFixture();
  stops.push(() => stopProcess(fixture.child));
  fixtureUrl = fixture.url;
  const overHttp = await airlockBefore('over-http', { url: fixtureUrl });
  const overStdio = await airlockBefore('over-stdio', {
    command: process.execPath,
    args: ['--import', 'tsx', FIXTURE, '--stdio'],
    cwd: ROOT,
  });
  const [direct, http, stdio] = await Promise.all([
    runSuite(fixtureUrl, 'fixture'),
    runSuite(overHttp, 'airlock-http-upstream'),
    runSuite(overStdio, 'airlock-stdio-upstream'),
  ]);
  results.set('fixture', direct).set('airlock-http-upstream', http).set('airlock-stdio-upstream', stdio);
  for (const version of VERSIONS)
    for (const [label, run] of results) {
      const { passed, failed, total } = run.runs[version]!;
      console.log(`conformance ${version} ${label}: ${passed} passed, ${failed} failed (${total} scenarios)`);
    }
}, 900_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
});

function failedScenarios(run: Run, version: string): string[] {
  return Object.entries(run.runs[version]!.scenarios).flatMap(([name, s]) => (s.status === 'passed' ? [] : [name]));
}

describe('the official MCP conformance runner', () => {
  it('reaches the fixture in 2026-07-28 over both transports (so 2025-era agents are translated)', () => {
    expect(Object.fromEntries(eras)).toEqual({ 'over-http': 'modern', 'over-stdio': 'modern' });
  });

  it.each(VERSIONS)('passes every server scenario against the fixture alone (%s)', (version) => {
    expect(failedScenarios(results.get('fixture')!, version)).toEqual([]);
  });

  it.each(VERSIONS.flatMap((v) => [[v, 'airlock-http-upstream'] as const, [v, 'airlock-stdio-upstream'] as const]))(
    'passes (%s) through Airlock (%s) every scenario the fixture passes',
    (version, label) => {
      const alone = results.get('fixture')!.runs[version]!;
      const through = results.get(label)!.runs[version]!;
      expect(failedScenarios(results.get(label)!, version)).toEqual(failedScenarios(results.get('fixture')!, version));
      expect(through.passed).toBeGreaterThanOrEqual(alone.passed);
    },
  );
});
