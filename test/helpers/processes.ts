import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { embeddedRedisSocket } from '../../src/redis/index.js';
import { CLI, tempDir } from './paths.js';
import { waitFor } from './gateway.js';

/** The pid of the data directory's embedded redis-server, or undefined when none answers. */
export async function embeddedRedisPid(dataDir: string): Promise<number | undefined> {
  const client = new Redis({
    path: embeddedRedisSocket(dataDir),
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('server');
    return Number(/process_id:(\d+)/u.exec(info)?.[1]);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

export { isRunning } from '../../src/shared/pid-lock.js';

/** Processes whose command line mentions `text` (a data directory, say): what a test left behind. */
export function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/u.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/gu, ' ').trim();
      // A zombie has an empty command line: it is gone, only not yet reaped.
      if (cmdline.includes(text)) found.push(`${entry}: ${cmdline}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Runs the airlock CLI against a data directory with no config file (the embedded default). */
export function airlock(dataDir: string, ...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    cwd: tempDir('airlock-cwd-'),
  });
}

/** The pending approvals of the embedded default, as `approvals list --json` prints them. */
function pendingApprovals(dataDir: string): { id: string; tool: string }[] {
  const run = airlock(dataDir, 'approvals', 'list', '--json');
  if (run.status !== 0) throw new Error(`approvals list failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { id: string; tool: string }[];
}

export async function waitForPendingApproval(dataDir: string, tool: string): Promise<string> {
  let id: string | undefined;
  await waitFor(
    () => (id = pendingApprovals(dataDir).find((a) => a.tool === tool)?.id) !== undefined,
    20_000,
    `a pending ${tool} approval`,
  );
  return id!;
}

export function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, {
    timeout: 60_000,
  });
}
