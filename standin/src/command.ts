/**
 * The stand-in's command line, the one definition of its options: run as its own program
 * (`node dist/standin/standin/src/cli.js …`) or under the gateway's CLI as
 * `airlock mlflow-standin …`, which loads this module at run time and hands it its arguments.
 */
import { Command, InvalidArgumentError } from 'commander';
import { runStandin } from './run.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 picks a free port)');
  return port;
}

/** `mlflow-standin`: an MCP server that answers like kkruglik/mlflow-mcp 0.4 on an in-memory MLflow. */
export function standinCommand(): Command {
  return new Command('mlflow-standin')
    .description('Serve a stand-in for the MLflow MCP server (kkruglik/mlflow-mcp 0.4) over an in-memory MLflow')
    .option(
      '--http <port>',
      'serve Streamable HTTP at /mcp on this port instead of stdio (0 = any free port)',
      parsePort,
    )
    .option('--host <host>', 'address to bind with --http', '127.0.0.1')
    .option('--seed <file>', 'start from this data file instead of the built-in seed')
    .option('--state <file>', 'load from and save every change to this data file (created from the seed when missing)')
    .action(async (options: { http?: number; host: string; seed?: string; state?: string }, command: Command) => {
      try {
        await runStandin(options);
      } catch (error) {
        // Named as invoked: "mlflow-standin: …" on its own, "airlock mlflow-standin: …" under the gateway's CLI.
        const name = [command.parent?.name(), command.name()].filter(Boolean).join(' ');
        process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      }
    });
}

/**
 * Parse `args` (what follows the command's name) and run. With `parent`, the command runs as that
 * program's subcommand, so usage lines and errors read as before: `Usage: airlock mlflow-standin`.
 */
export async function runStandinCli(args: readonly string[], parent?: string): Promise<void> {
  const command = standinCommand();
  if (parent === undefined) await command.parseAsync([...args], { from: 'user' });
  else await new Command(parent).addCommand(command).parseAsync([command.name(), ...args], { from: 'user' });
}
