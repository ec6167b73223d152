import { Command } from 'commander';
import { createLoginLink, hashPassword } from '../console/index.js';
import { withConfiguredRedis } from '../redis/index.js';
import { describeError, silentLogger } from '../shared/index.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';

/** `airlock console hash-password | login-link`: credentials for the web console (src/console). */
export function consoleCommand(): Command {
  const command = new Command('console').description('Web console credentials: password hashes, one-time login links');
  command
    .command('hash-password')
    .description('Read a password from stdin and print its hash for console.users[].password_hash')
    .action(async () => {
      const password = (await readStdin()).replace(/\r?\n$/u, '');
      if (password.length < 8) return fail('the password must have at least 8 characters');
      process.stdout.write(`${await hashPassword(password)}\n`);
    });
  configOptions(command.command('login-link'))
    .description(
      'Print a one-time link that logs in to the console as a console user (expires after console.login_link_ttl)',
    )
    .requiredOption('--as <name>', 'the console user (console.users[].name)')
    .option('--url <base>', 'the base URL the browser reaches Airlock at (default: from listen.host and listen.port)')
    .action(async (options: ConfigOptions & { as: string; url?: string }) => {
      try {
        const loaded = loadCliConfig(options);
        const { config } = loaded;
        if (!config.console.users.some((u) => u.name === options.as))
          return fail(
            config.console.users.length === 0
              ? 'the console is off: add console.users to the config first'
              : `no console user ${options.as} (console.users: ${config.console.users.map((u) => u.name).join(', ')})`,
          );
        const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
        const baseUrl = options.url ?? `http://${host}:${config.listen.port}`;
        const link = await withConfiguredRedis(loaded, silentLogger(), ({ connections, prefix }) =>
          createLoginLink({
            redis: connections.request,
            prefix,
            user: options.as,
            baseUrl,
            ttlMs: config.console.login_link_ttl,
          }),
        );
        process.stdout.write(`${link}\n`);
      } catch (error) {
        fail(describeError(error));
      }
    });
  return command;
}

function fail(message: string): void {
  process.stderr.write(`airlock: ${message}\n`);
  process.exitCode = 1;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
