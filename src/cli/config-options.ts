import type { Command } from 'commander';
import { loadConfig, resolveDataDir, type LoadedConfig } from '../config/index.js';

export interface ConfigOptions {
  config?: string;
  dataDir?: string;
}

/** `--config` and `--data-dir`, the two options every command that reads the setup takes. */
export function configOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default ./airlock.config.json, else the embedded default)')
    .option(
      '--data-dir <dir>',
      'local state: embedded Redis, demo token, stand-in store, audit files (default $AIRLOCK_HOME, else $XDG_STATE_HOME/airlock, else ~/.local/state/airlock)',
    );
}

export function loadCliConfig(options: ConfigOptions): LoadedConfig {
  return loadConfig({ file: options.config, dataDir: resolveDataDir(options.dataDir) });
}
