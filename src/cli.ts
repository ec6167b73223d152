#!/usr/bin/env node
/**
 * The `airlock` command. Each subcommand lives in src/cli/<name>-command.ts; this file only
 * assembles them, so `airlock --help` is the table of contents.
 */
import { Command } from 'commander';
import {
  approvalsCommand,
  auditCommand,
  checkCommand,
  consoleCommand,
  demoCommand,
  explainCommand,
  initCommand,
  limitsCommand,
  replayCommand,
  serveCommand,
  standinCommand,
} from './cli/index.js';

const program = new Command('airlock')
  .description('MCP policy gateway: allow, deny, rate-limit and hold agent tool calls for human approval')
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(initCommand())
  .addCommand(demoCommand())
  .addCommand(checkCommand())
  .addCommand(explainCommand())
  .addCommand(limitsCommand())
  .addCommand(approvalsCommand())
  .addCommand(consoleCommand())
  .addCommand(auditCommand())
  .addCommand(replayCommand())
  .addCommand(standinCommand());

await program.parseAsync(process.argv);
