import { resolve } from 'node:path';
import { Command } from 'commander';
import { embeddedDefaultConfig, loadConfig, DATA_DIR, type Config, type GrantConfig } from '../config/index.js';
import { Gateway } from '../gateway.js';
import { createLogger } from '../shared/logger.js';
import { connectInfo } from './connect-info.js';
import { exitOnError, onShutdown } from './process.js';

/** `airlock serve`: the gateway, over Streamable HTTP (default) or stdio. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the gateway (Streamable HTTP at /mcp, or --stdio)')
    .option('-c, --config <file>', 'config file (default ./airlock.config.json, else the embedded default)')
    .option('--stdio', 'serve one agent over stdin/stdout instead of HTTP')
    .option('--grant <name>', 'the grant a --stdio agent acts as (default: stdio_grant, or the only grant)')
    .option('--port <port>', 'override listen.port', (v) => Number(v))
    .option('--host <host>', 'override listen.host')
    .option('--audit-file <file>', 'override audit.file (each Airlock process needs its own file; they share the Redis stream)')
    .action(async (options: { config?: string; stdio?: boolean; grant?: string; port?: number; host?: string; auditFile?: string }) => {
      const log = createLogger();
      await exitOnError(log, async () => {
        const loaded = loadConfig({ ...(options.config ? { file: options.config } : {}), embedded: () => embeddedDefaultConfig() });
        const config = loaded.config;
        if (options.port !== undefined) config.listen.port = options.port;
        if (options.host !== undefined) config.listen.host = options.host;
        if (options.auditFile !== undefined) config.audit.file = resolve(options.auditFile);
        log.info({ config: loaded.source }, 'configuration loaded');
        const stdioGrant = options.stdio ? pickStdioGrant(config, options.grant) : undefined;
        const gateway = await Gateway.start({ config, log, dataDir: DATA_DIR });
        onShutdown(log, () => gateway.close());

        if (stdioGrant !== undefined) {
          await gateway.serveStdio(stdioGrant);
          await gateway.close();
          return;
        }
        const { url } = await gateway.listen();
        const mcpUrl = `${url}/mcp`;
        log.info({ url: mcpUrl }, 'listening');
        const slackUrl = gateway.parts.slack?.url;
        if (slackUrl !== undefined) process.stdout.write(`Slack interactivity endpoint: ${slackUrl}\n`);
        if (loaded.embedded) {
          const grant = config.grants[0]!;
          process.stdout.write(connectInfo(mcpUrl, grant.name, grant.token));
        } else {
          process.stdout.write(`Airlock is serving MCP at ${mcpUrl}\n`);
        }
      });
    });
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
