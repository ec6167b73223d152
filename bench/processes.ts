import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';

/**
 * Spawns a command and waits for a line on its stdout or stderr matching `ready`; returns the match.
 * `stdin: 'pipe'` for a child the bench talks to.
 */
export async function spawnUntil(
  command: string,
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = process.env,
  stdin: 'ignore' | 'pipe' = 'ignore',
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(command, args, { env, stdio: [stdin, 'pipe', 'pipe'] });
  let output = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = ready.exec(output);
      if (found) resolve(found);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${command} ${args.join(' ')} exited (${code}) before ready:\n${output}`)),
    );
  });
  // Keep draining so a chatty child never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  if (process.env.BENCH_CHILD_LOG) child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return { child, match };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function httpClient(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** An SDK v2 client pinned to MCP 2026-07-28: no session, one stateless POST per request. */
export async function modernHttpClient(url: string, token?: string): Promise<ModernClient> {
  const client = new ModernClient(
    { name: 'bench-2026', version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new ModernTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** The behaviour fixture (test/fixtures/upstream-fixture.ts) as a stdio upstream, logging its calls to `callLog`. */
export function fixtureUpstream(root: string, callLog: string): Record<string, unknown> {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', join(root, 'test', 'fixtures', 'upstream-fixture.ts')],
    env: { FIXTURE_CALL_LOG: callLog },
    cwd: root,
  };
}
