import { Command } from 'commander';

/** `airlock mlflow-standin`: placeholder until the stand-in lands. */
export function standinCommand(): Command {
  return new Command('mlflow-standin').description('Serve the MLflow MCP stand-in').action(() => {
    throw new Error('not implemented');
  });
}
