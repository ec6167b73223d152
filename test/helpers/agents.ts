/**
 * Agents as the SDK v2 client builds them, in either protocol era: `legacy` (the 2025
 * `initialize` handshake, the SDK default), `modern` (pinned to 2026-07-28: per-request
 * envelope, no session) or `auto` (probe with server/discover, fall back to initialize).
 */
import { Client, StreamableHTTPClientTransport, type ClientOptions } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { CLI, ROOT, tempDir } from './paths.js';

export type AgentEra = 'legacy' | 'modern' | 'auto';

function clientOptions(era: AgentEra, extra: ClientOptions = {}): ClientOptions {
  const versionNegotiation =
    era === 'legacy' ? undefined : era === 'auto' ? { mode: 'auto' as const } : { mode: { pin: '2026-07-28' } };
  return { ...(versionNegotiation ? { versionNegotiation } : {}), ...extra };
}

export async function connectAgentHttp(
  mcpUrl: string,
  token: string,
  era: AgentEra,
  options: { client?: ClientOptions; headers?: Record<string, string>; setup?: (client: Client) => void } = {},
): Promise<Client> {
  const client = new Client({ name: `agent-${era}`, version: '2.0.0' }, clientOptions(era, options.client));
  options.setup?.(client);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${token}`, ...options.headers } },
    }),
  );
  return client;
}

/** `airlock serve --stdio` as the child of a v2 client of `era`. */
export async function connectAgentStdio(
  configFile: string | undefined,
  era: AgentEra,
  extraArgs: string[] = [],
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', '--stdio', ...(configFile === undefined ? [] : ['--config', configFile]), ...extraArgs],
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AIRLOCK_HOME: process.env.AIRLOCK_HOME ?? tempDir('airlock-data-'),
      AIRLOCK_LOG_LEVEL: 'debug',
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: `agent-${era}`, version: '2.0.0' }, clientOptions(era));
  await client.connect(transport);
  return { client, stderr: () => stderr };
}
