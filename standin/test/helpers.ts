/**
 * Spawning the built stand-in (its own entry, dist/standin/standin/src/cli.js) as a real child process and talking to it through
 * the MCP SDK client, over stdio or Streamable HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The stand-in's own program; `airlock mlflow-standin` runs the same command (test/integration/cli-standin.test.ts). */
export const STANDIN_CLI = join(REPO_ROOT, 'dist', 'standin', 'standin', 'src', 'cli.js');

function assertBuilt(): void {
  if (!existsSync(STANDIN_CLI)) throw new Error(`${STANDIN_CLI} is missing: run \`npm run build\` before these tests`);
}

export interface StandinConnection {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

export interface StdioStandin extends StandinConnection {
  transport: StdioClientTransport;
}

export async function startStdioStandin(extraArgs: string[] = []): Promise<StdioStandin> {
  assertBuilt();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [STANDIN_CLI, ...extraArgs],
    cwd: REPO_ROOT,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'standin-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr, close: () => client.close() };
}

/** Resolve with the first match of `pattern` in the child's stderr, or fail at the deadline/exit. */
export function waitForStderr(child: ChildProcess, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => finish(new Error(`no ${pattern} on stderr within ${timeoutMs} ms; got:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const m = pattern.exec(seen);
      if (m) finish(undefined, m);
    };
    const onExit = (code: number | null) =>
      finish(new Error(`process exited (${code}) before ${pattern}; stderr:\n${seen}`));
    function finish(error?: Error, match?: RegExpExecArray) {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else if (match) resolve(match);
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export function waitForExit(child: ChildProcess, timeoutMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

export interface HttpStandinProcess extends StandinConnection {
  child: ChildProcess;
  url: string;
  /** SIGTERM the process and return its exit code. */
  stop(): Promise<number | null>;
}

export async function startHttpStandin(extraArgs: string[] = []): Promise<HttpStandinProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [STANDIN_CLI, '--http', '0', ...extraArgs], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const match = await waitForStderr(child, /mlflow-standin listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/);
  const url = match[1] ?? '';
  const client = new Client({ name: 'standin-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    client,
    child,
    url,
    stderr: () => stderr,
    close: () => client.close(),
    async stop() {
      await client.close();
      child.kill('SIGTERM');
      return waitForExit(child);
    },
  };
}

/** tools/call without callTool's outputSchema check, as the gateway forwards it. */
export function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema);
}

/** The text of every content block. */
export function texts(result: CallToolResult): string[] {
  return result.content.map((block) => {
    if (block.type !== 'text') throw new Error(`expected text content, got ${block.type}`);
    return block.text;
  });
}

/** The single text block of a result. */
export function onlyText(result: CallToolResult): string {
  const all = texts(result);
  if (all.length !== 1)
    throw new Error(`expected exactly one content block, got ${all.length}: ${JSON.stringify(all)}`);
  return all[0] ?? '';
}

/** A dict-returning tool's result: one indent-2 JSON block and no structuredContent. */
export function dictOf(result: CallToolResult): Record<string, unknown> {
  if (result.isError) throw new Error(`tool failed: ${texts(result).join('\n')}`);
  if (result.structuredContent !== undefined) throw new Error('dict results carry no structuredContent');
  return JSON.parse(onlyText(result)) as Record<string, unknown>;
}

/** A list-returning tool's items, checking the one-block-per-item convention against structuredContent. */
export function listOf(result: CallToolResult): unknown[] {
  if (result.isError) throw new Error(`tool failed: ${texts(result).join('\n')}`);
  const items = (result.structuredContent as { result?: unknown } | undefined)?.result;
  if (!Array.isArray(items))
    throw new Error(`expected structuredContent.result to be a list, got ${JSON.stringify(result.structuredContent)}`);
  const blocks = texts(result);
  if (blocks.length !== items.length)
    throw new Error(`expected one content block per item: ${blocks.length} blocks, ${items.length} items`);
  blocks.forEach((block, i) => {
    const item = items[i];
    const parsed = typeof item === 'string' ? block : JSON.parse(block);
    if (JSON.stringify(parsed) !== JSON.stringify(item))
      throw new Error(`block ${i} does not match item ${i}: ${block}`);
  });
  return items;
}
