import { resolve } from 'node:path';
import { Command } from 'commander';
import type { Config, GrantConfig } from '../config/index.js';
import { Gateway } from '../gateway.js';
import { joinEmbeddedRedis } from '../redis/index.js';
import { describeError, createLogger } from '../shared/index.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';
import { connectInfo } from './connect-info.js';
import { Lifecycle } from './lifecycle.js';
import { listenError } from './listen-error.js';

interface ServeOptions extends ConfigOptions {
  stdio?: boolean;
  grant?: string;
  port?: number;
  host?: string;
  auditFile?: string;
}

const PORT_HINT = 'Pass --port <n> (0 picks a free one) or set listen.port';
/** A stdio agent's client waits for us after closing stdin or sending SIGTERM: exit well within 1 s. */
const STDIO_CLOSE_MS = 600;
/** Of which calls in flight get this long (the rest closes the parts). */
const STDIO_GRACE_MS = 250;
/** Over HTTP: `shutdown.grace` for calls in flight, then this long at most for the parts (each bounded: src/gateway.ts). */
const HTTP_PARTS_CLOSE_MS = 5_000;
/** Until the config says otherwise. */
const DEFAULT_HTTP_CLOSE_MS = 10_000 + HTTP_PARTS_CLOSE_MS;

/** `airlock serve`: the gateway, over Streamable HTTP (default) or stdio. */
export function serveCommand(): Command {
  return configOptions(new Command('serve'))
    .description('Run the gateway (Streamable HTTP at /mcp, or --stdio)')
    .option('--stdio', 'serve one agent over stdin/stdout instead of HTTP')
    .option('--grant <name>', 'the grant a --stdio agent acts as (default: stdio_grant, or the only grant)')
    .option('--port <port>', 'override listen.port (0 picks a free port)', (v) => Number(v))
    .option('--host <host>', 'override listen.host')
    .option('--audit-file <file>', 'write the audit trail to this one file instead of a per-process file in audit.dir')
    .action(async (options: ServeOptions) => {
      const log = createLogger();
      const life = new Lifecycle(log, (options.stdio ? STDIO_CLOSE_MS : DEFAULT_HTTP_CLOSE_MS) + 1_500).install();
      try {
        await serve(options, log, life);
      } catch (error) {
        // The one place a start-up failure is told; whatever had started is undone by `life`.
        process.stderr.write(`airlock: ${describeError(error)}\n`);
        await life.exit(1, 'start-up failed');
      }
    });
}

async function serve(options: ServeOptions, log: ReturnType<typeof createLogger>, life: Lifecycle): Promise<void> {
  const loaded = loadCliConfig(options);
  const config = loaded.config;
  if (options.port !== undefined) config.listen.port = options.port;
  if (options.host !== undefined) config.listen.host = options.host;
  if (options.auditFile !== undefined) config.audit.file = resolve(options.auditFile);
  log.info({ config: loaded.source, data_dir: loaded.dataDir }, 'configuration loaded');
  const stdioGrant = options.stdio ? pickStdioGrant(config, options.grant) : undefined;
  const closeMs = stdioGrant ? STDIO_CLOSE_MS : config.shutdown.grace + HTTP_PARTS_CLOSE_MS;
  life.setDeadline(closeMs + 1_500);

  // Each cleanup is registered before the thing it undoes has finished starting: a signal in the
  // middle of start-up waits for it, then undoes it.
  let redisUrl: string | undefined; // a configured Redis (a URL, a cluster, Sentinel) is the config's
  if (config.redis === undefined) {
    const joining = joinEmbeddedRedis(loaded.dataDir, log);
    life.defer('leave the embedded redis-server', async () => (await joining.catch(() => undefined))?.release());
    redisUrl = (await joining).url;
  }
  if (life.isExiting) return;
  const starting = Gateway.start({ config, log, redisUrl });
  life.defer(
    'close the gateway',
    async () => (await starting.catch(() => undefined))?.close(stdioGrant ? STDIO_GRACE_MS : config.shutdown.grace),
    { timeoutMs: closeMs },
  );
  const gateway = await starting;

  if (stdioGrant !== undefined) {
    await gateway.serveStdio(stdioGrant);
    await life.exit(0, 'stdin closed');
  }
  const { url } = await gateway.listen().catch((error: unknown) => {
    throw listenError(error, `${config.listen.host}:${config.listen.port}`, PORT_HINT);
  });
  const mcpUrl = `${url}/mcp`;
  log.info({ url: mcpUrl }, 'listening');
  if (gateway.slackUrl !== undefined) process.stdout.write(`Slack interactivity endpoint: ${gateway.slackUrl}\n`);
  if (loaded.embedded) {
    const grant = config.grants[0]!;
    process.stdout.write(connectInfo(mcpUrl, grant.name, grant.token));
  } else {
    process.stdout.write(`Airlock is serving MCP at ${mcpUrl}\n`);
  }
}

function pickStdioGrant(config: Config, requested: string | undefined): GrantConfig {
  const name = requested ?? config.stdio_grant ?? (config.grants.length === 1 ? config.grants[0]!.name : undefined);
  const grant = config.grants.find((g) => g.name === name);
  if (grant !== undefined) return grant;
  const known = config.grants.map((g) => g.name).join(', ');
  throw new Error(
    name === undefined
      ? `--stdio needs to know which grant the agent acts as: pass --grant <name> or set "stdio_grant" (grants: ${known})`
      : `--grant ${name}: no such grant (grants: ${known})`,
  );
}
