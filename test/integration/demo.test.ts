/**
 * Issue 17 item 5, `airlock demo`: the embedded default and a scripted agent, as a real process
 * read as it prints. The agent's allowed read, denied delete and rate-limited burst; the held
 * copy_model_version with a one-time console login link, decided from the demo's own terminal
 * (approve, deny with a reason) or by the printed `approvals approve` command in another process;
 * the agent's real result; a clean exit with --exit; a port in use.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopProcess, waitFor } from '../helpers/gateway.js';
import { CLI, ROOT, tempDir } from '../helpers/paths.js';
import { processesMentioning } from '../helpers/processes.js';

const SEED_POLICY = join(ROOT, 'policies', 'mlflow.json');
const started: ChildProcess[] = [];
afterAll(async () => {
  for (const child of started) await stopProcess(child, 'SIGKILL');
});

interface DemoRun {
  child: ChildProcess;
  cwd: string;
  stdout: () => string;
  stderr: () => string;
  /** Waits until stdout matches, and returns the match. */
  waitForOutput: (pattern: RegExp, what: string, timeoutMs?: number) => Promise<RegExpExecArray>;
  exitCode: Promise<number | null>;
}

function startDemo(args: string[], env: NodeJS.ProcessEnv = {}): DemoRun {
  const cwd = tempDir('airlock-demo-cwd-');
  const { AIRLOCK_HOME: _home, AIRLOCK_LOG_LEVEL: _level, ...inherited } = process.env;
  const child = spawn(process.execPath, [CLI, 'demo', '--exit', ...args], {
    cwd,
    env: { ...inherited, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': by then stdout has been read to its end.
  const exitCode = once(child, 'close').then(([code]) => code as number | null);
  return {
    child,
    cwd,
    stdout: () => stdout,
    stderr: () => stderr,
    exitCode,
    waitForOutput: async (pattern, what, timeoutMs = 30_000) => {
      let match: RegExpExecArray | null = null;
      await waitFor(
        () => (match = pattern.exec(stdout)) !== null || child.exitCode !== null,
        timeoutMs,
        `${what}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
      );
      if (match === null) throw new Error(`demo exited before ${what}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
      return match;
    },
  };
}

/** The approval block: the id and the one-time login link. */
async function heldApproval(run: DemoRun): Promise<{ id: string; link: string }> {
  const [, id] = await run.waitForOutput(/Approval (apr_\w+) waits for you/u, 'the held approval');
  const [, link] = await run.waitForOutput(
    /^\s+(http:\/\/127\.0\.0\.1:\d+\/console\/login\?once=\S+)$/mu,
    'the login link',
  );
  return { id: id!, link: link! };
}

async function expectCleanExit(run: DemoRun, dataDir: string): Promise<void> {
  expect(await run.exitCode, run.stderr()).toBe(0);
  await waitFor(
    () => processesMentioning(dataDir).length === 0,
    5_000,
    `nothing left running (${processesMentioning(dataDir).join('; ')})`,
  );
}

describe('airlock demo', () => {
  const firstDir = tempDir('airlock-demo-home-');

  it('shows the allowed read, the denied delete and the rate-limited burst, holds the copy, logs in once by link, and takes `approve` from its terminal', async () => {
    const run = startDemo(['--data-dir', firstDir]);
    const { id, link } = await heldApproval(run);
    const out = run.stdout();
    expect(out).toMatch(
      /^ {2}1\. allowed +get_model_versions fraud-detector-dev +→ 3 versions: 1 Archived, 2 Staging/mu,
    );
    expect(out).toMatch(
      /^ {2}2\. denied +delete_registered_model fraud-detector-dev +→ .*Destructive: ask a human to do it in the MLflow UI$/mu,
    );
    expect(out).toMatch(
      /^ {2}3\. rate limited +set_registered_model_tag .*→ (\d+) admitted, then refused: Rate limited: counter "registry_writes" allows 60 calls per minute .*Retry after/mu,
    );
    expect(Number(/→ (\d+) admitted/u.exec(out)![1])).toBe(60); // a fresh data directory: an empty counter
    expect(out).toMatch(new RegExp(`^ {2}4\\. held +copy_model_version fraud-detector-dev v1 .*approval ${id}$`, 'mu'));
    expect(out).toContain(`approvals approve ${id} --as U0DEMOAPPROVER --data-dir ${firstDir}`);
    // The policy is a copy in the data directory, not the package's seed file.
    expect(out).toContain(`policy     ${join(firstDir, 'demo-policy.json')}`);
    expect(readFileSync(join(firstDir, 'demo-policy.json'), 'utf8')).toBe(readFileSync(SEED_POLICY, 'utf8'));

    // The link logs in once: a session cookie and a redirect, then refused.
    const first = await fetch(link, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('set-cookie')).toMatch(/^airlock_console=/u);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(403);

    run.child.stdin!.write('approve\n');
    await run.waitForOutput(new RegExp(`approved ${id} as U0DEMOAPPROVER`, 'u'), 'the terminal decision');
    const [result] = await run.waitForOutput(/^ {2}4\. approved .*$/mu, "the agent's result");
    expect(result).toContain(
      'approved by U0DEMOAPPROVER; the agent received: fraud-detector-staging version 1 created (READY) from models:/fraud-detector-dev/1',
    );
    await expectCleanExit(run, firstDir);
    // The decision is told before the result, then where to look next.
    expect(run.stdout().indexOf(`approved ${id} as`)).toBeLessThan(run.stdout().indexOf('4. approved'));
    expect(run.stdout()).toContain(`/console/calls/${id}`);
    expect(run.stdout()).toMatch(/\/console\/history\n.*\/console\/events\n/u);
    expect(run.stdout()).toMatch(/Done \(--exit\): stopping\.\n$/u);
    // Neither the grant's token nor any console credential is printed.
    expect(run.stdout()).not.toContain(readFileSync(join(firstDir, 'demo-token'), 'utf8').trim());
  }, 60_000);

  it('takes a decision from another process: the printed `approvals approve` command, run as printed', async () => {
    const home = tempDir('airlock-demo-home-');
    const run = startDemo([], { AIRLOCK_HOME: home });
    const { id } = await heldApproval(run);
    const [, command] = await run.waitForOutput(/elsewhere {2}(.+)$/mu, 'the approvals command');
    expect(command).toBe(`node ${CLI} approvals approve ${id} --as U0DEMOAPPROVER --data-dir ${home}`);
    const approved = spawnSync('sh', ['-c', command!], {
      cwd: run.cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toContain(`approved ${id}`);
    const [result] = await run.waitForOutput(/^ {2}4\. approved .*$/mu, "the agent's result");
    expect(result).toContain('the agent received: fraud-detector-staging version 1 created (READY)');
    await expectCleanExit(run, home);
  }, 60_000);

  it('a second run on the same data directory: a fresh policy copy, whatever the counter holds, the next version held, and `deny <reason>` reaches the agent', async () => {
    writeFileSync(join(firstDir, 'demo-policy.json'), '{"version": "1", "default": "allow"}'); // a console edit, say
    const run = startDemo(['--data-dir', firstDir]);
    const { id } = await heldApproval(run);
    expect(readFileSync(join(firstDir, 'demo-policy.json'), 'utf8')).toBe(readFileSync(SEED_POLICY, 'utf8'));
    expect(run.stdout()).toMatch(/^ {2}2\. denied /mu);
    expect(run.stdout()).toMatch(/→ \d+ admitted, then refused: Rate limited: counter "registry_writes"/u);
    // Version 1's copy ran in the first test (its result is stored, never run again): version 2 is held.
    expect(run.stdout()).toMatch(new RegExp(`4\\. held +copy_model_version fraud-detector-dev v2 .*${id}`, 'u'));

    run.child.stdin!.write('deny\n');
    await run.waitForOutput(/deny needs a reason/u, 'the hint that a denial needs a reason');
    run.child.stdin!.write('deny not today\n');
    const [result] = await run.waitForOutput(/^ {2}4\. denied .*$/mu, "the agent's denial");
    expect(result).toContain(`Denied by U0DEMOAPPROVER at`);
    expect(result).toContain(`: not today. A human rejected this copy_model_version call (approval ${id})`);
    await expectCleanExit(run, firstDir);
  }, 60_000);

  it('says so when the port is in use, exits 1 and leaves nothing running', async () => {
    const dataDir = tempDir('airlock-demo-home-');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const run = startDemo(['--data-dir', dataDir, '--port', String(port)]);
      expect(await run.exitCode).toBe(1);
      expect(run.stderr()).toContain(`airlock: cannot listen on 127.0.0.1:${port}: the port is in use`);
      await waitFor(() => processesMentioning(dataDir).length === 0, 5_000, 'nothing left running');
    } finally {
      blocker.close();
    }
  }, 30_000);
});
