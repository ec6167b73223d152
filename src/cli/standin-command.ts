import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { PACKAGE_ROOT } from '../config/index.js';

/**
 * The stand-in is not part of the gateway (it lives in standin/, built into dist/standin/): this
 * command loads it at run time from the package root, the built one, or its sources when the
 * gateway itself runs from src/ via tsx. In this process, so stdio stays the stand-in's alone and
 * its own signal handling and exit codes apply unchanged.
 */
const fromSource = import.meta.url.endsWith('.ts');
const STANDIN_MODULE = fromSource
  ? join(PACKAGE_ROOT, 'standin', 'src', 'index.ts')
  : join(PACKAGE_ROOT, 'dist', 'standin', 'standin', 'src', 'index.js');

interface StandinModule {
  runStandinCli(args: readonly string[], parent?: string): Promise<void>;
}

async function loadStandin(): Promise<StandinModule> {
  if (!existsSync(STANDIN_MODULE))
    throw new Error(`the MLflow stand-in is not built (${STANDIN_MODULE} is missing): run \`npm run build\``);
  return (await import(pathToFileURL(STANDIN_MODULE).href)) as StandinModule;
}

/**
 * `airlock mlflow-standin`: an MCP server that answers like kkruglik/mlflow-mcp 0.4 on an in-memory
 * MLflow. Its options are the stand-in's own (standin/src/command.ts): everything after the name is
 * handed over unparsed, `--help` included.
 */
export function standinCommand(): Command {
  return (
    new Command('mlflow-standin')
      .description('Serve a stand-in for the MLflow MCP server (kkruglik/mlflow-mcp 0.4) over an in-memory MLflow')
      // Shown as "mlflow-standin [options]" in `airlock --help`; the stand-in parses them.
      .argument('[options]')
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(async (_first: unknown, _options: unknown, command: Command) => {
        let standin: StandinModule;
        try {
          standin = await loadStandin();
        } catch (error) {
          process.stderr.write(`airlock mlflow-standin: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exit(1);
        }
        await standin.runStandinCli(command.args, 'airlock');
      })
  );
}
