import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll } from 'vitest';
import { CLI, ROOT, tempDir } from './paths.js';

export interface GatewayProcess {
  child: ChildProcess;
  auditFile: string | undefined;
  /** Its data directory (a fresh temp dir unless the test chose one). */
  dataDir: string;
  baseUrl: string;
  mcpUrl: string;
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<void>;
}

/**
 * Runs `airlock serve` as a real process on an ephemeral loopback port, with its own data
 * directory unless the test passes one (processes that share a data directory share its embedded
 * Redis and audit directory). A gateway with a config gets its own fixed audit file so the test
 * can read it, unless it names one with `auditFile` or asks for the per-process files with
 * `auditFile: null`.
 */
export async function startGateway(
  options: {
    config?: string;
    args?: string[];
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    auditFile?: string | null;
    dataDir?: string;
  } = {},
): Promise<GatewayProcess> {
  const dataDir = options.dataDir ?? tempDir('airlock-data-');
  const auditFile =
    options.auditFile === null
      ? undefined
      : (options.auditFile ??
        (options.config ? join(dirname(options.config), `audit-${randomUUID()}.jsonl`) : undefined));
  const args = [
    CLI,
    'serve',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    ...(options.config ? ['--config', options.config] : []),
    ...(auditFile ? ['--audit-file', auditFile] : []),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, AIRLOCK_LOG_LEVEL: 'debug', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const mcpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within 20 s\n${stderr}`)), 20_000);
    child.stdout!.on('data', () => {
      const match = /serving MCP at (\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with code ${code} before listening\n${stderr}`));
    });
  });
  return {
    child,
    auditFile,
    dataDir,
    mcpUrl,
    baseUrl: mcpUrl.replace(/\/mcp$/, ''),
    stdout: () => stdout,
    stderr: () => stderr,
    stop: () => stopProcess(child),
  };
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

export async function connectHttp(mcpUrl: string, token: string): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** `airlock serve --stdio` as a real child of a real SDK client (no config file: the embedded default). */
export async function connectStdio(
  configFile: string | undefined,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
  options: { cwd?: string } = {},
): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', '--stdio', ...(configFile === undefined ? [] : ['--config', configFile]), ...extraArgs],
    cwd: options.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AIRLOCK_HOME: process.env.AIRLOCK_HOME ?? tempDir('airlock-data-'),
      AIRLOCK_LOG_LEVEL: 'debug',
      ...env,
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

/** Polls `check` until it returns true or the deadline passes (no fixed sleeps in tests). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * One gateway for a test file, started before its tests and stopped after them with every client
 * the tests `track`ed.
 */
export function gatewayForFile(config: string): {
  get: () => GatewayProcess;
  track: <C extends { close(): Promise<void> }>(client: C) => C;
} {
  let gateway: GatewayProcess | undefined;
  const clients: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    gateway = await startGateway({ config });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await gateway?.stop();
  });
  return {
    get: () => gateway!,
    track: (client) => {
      clients.push(client);
      return client;
    },
  };
}
