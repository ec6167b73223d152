import { Command, InvalidArgumentError } from 'commander';
import { runStandin } from '../standin/index.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 picks a free port)');
  return port;
}

/** `airlock mlflow-standin`: an MCP server that answers like kkruglik/mlflow-mcp 0.4 on an in-memory MLflow. */
export function standinCommand(): Command {
  return new Command('mlflow-standin')
    .description('Serve a stand-in for the MLflow MCP server (kkruglik/mlflow-mcp 0.4) over an in-memory MLflow')
    .option('--http <port>', 'serve Streamable HTTP at /mcp on this port instead of stdio (0 = any free port)', parsePort)
    .option('--host <host>', 'address to bind with --http', '127.0.0.1')
    .option('--seed <file>', 'start from this data file instead of the built-in seed')
    .option('--state <file>', 'load from and save every change to this data file (created from the seed when missing)')
    .action(async (options: { http?: number; host: string; seed?: string; state?: string }) => {
      try {
        await runStandin(options);
      } catch (error) {
        process.stderr.write(`airlock mlflow-standin: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      }
    });
}
