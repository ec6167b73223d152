import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopProcess, waitFor } from '../helpers/gateway.js';
import { CLI, ROOT, tempDir } from '../helpers/paths.js';
import { embeddedRedisPid } from '../helpers/processes.js';

/** The environment of a developer's own terminal: their HOME, no test data directory. */
function developerEnv(home: string): NodeJS.ProcessEnv {
  const { AIRLOCK_HOME: _home, XDG_STATE_HOME: _xdg, ...env } = process.env;
  return { ...env, HOME: home };
}

function snapshot(dir: string): Record<string, number> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => !f.startsWith('redis'))
      .map((f) => [f, statSync(join(dir, f)).size]),
  );
}

describe('the test suite next to a running gateway', () => {
  const home = tempDir('airlock-developer-');
  const dataDir = join(home, '.local', 'state', 'airlock');
  let gateway: ChildProcess | undefined;

  afterAll(async () => {
    if (gateway) await stopProcess(gateway);
  });

  it('passes while `npm start` runs from the same clone, and leaves that gateway and its data directory alone', async () => {
    // `npm start` as a developer runs it: the clone as cwd, the default data directory in their home.
    gateway = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
      cwd: ROOT,
      env: developerEnv(home),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    gateway.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    gateway.stderr!.resume();
    await waitFor(() => /serving MCP at (\S+)/u.test(stdout), 20_000, 'the developer gateway to listen');
    const url = /serving MCP at (\S+)\/mcp/u.exec(stdout)![1]!;
    const redisPid = await embeddedRedisPid(dataDir);
    expect(redisPid).toBeGreaterThan(0);
    const token = readFileSync(join(dataDir, 'demo-token'), 'utf8');
    const before = snapshot(dataDir);

    // Test files that start embedded defaults, read the audit trail and use the CLI.
    const run = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        'test/integration/quickstart.test.ts',
        'test/integration/audit-chains-cli.test.ts',
        '--reporter=dot',
      ],
      { cwd: ROOT, env: developerEnv(home), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    run.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    run.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(run, 'exit')) as [number];
    expect(code, output).toBe(0);

    expect(await embeddedRedisPid(dataDir)).toBe(redisPid);
    expect(readFileSync(join(dataDir, 'demo-token'), 'utf8')).toBe(token);
    expect(snapshot(dataDir)).toEqual(before);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 120_000);
});
