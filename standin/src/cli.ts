#!/usr/bin/env node
/** The stand-in as its own program: `node dist/standin/standin/src/cli.js [--http port] [--seed f] [--state f]`. */
import { runStandinCli } from './command.js';

await runStandinCli(process.argv.slice(2));
