// MCP server fixture for the official conformance runner (@modelcontextprotocol/conformance):
// every tool, resource, prompt and behaviour its server scenarios expect, for both protocol eras
// (2025-11-25 with sessions, 2026-07-28 per request). See README.md beside this file.
//
//   node --import tsx test/conformance/fixture-server.ts --http 0    (0 = any free port)
//   node --import tsx test/conformance/fixture-server.ts --stdio
//
// Logs go to stderr only: on stdio, stdout is the protocol channel.
import { serveStdio } from '@modelcontextprotocol/server/stdio';

import { startHttpFixture } from './fixture/http.js';
import { createFixtureServer } from './fixture/server.js';

const USAGE = 'usage: fixture-server.ts --http <port> | --stdio';

const log = (line: string) => process.stderr.write(`conformance fixture: ${line}\n`);

type Mode = { kind: 'http'; port: number } | { kind: 'stdio' };

function parseArgs(args: string[]): Mode {
  if (args.length === 1 && args[0] === '--stdio') return { kind: 'stdio' };
  const port = Number(args[1]);
  if (args.length === 2 && args[0] === '--http' && Number.isInteger(port) && port >= 0 && port < 65536) {
    return { kind: 'http', port };
  }
  throw new Error(USAGE);
}

async function main(): Promise<void> {
  const mode = parseArgs(process.argv.slice(2));
  if (mode.kind === 'stdio') {
    const handle = serveStdio(() => createFixtureServer(), { onerror: (error) => log(error.message) });
    log('serving on stdio');
    onSignal(() => handle.close());
    return;
  }
  const fixture = await startHttpFixture(mode.port, log);
  // The exact line scripts wait for; keep its wording stable.
  process.stderr.write(`conformance fixture listening on ${fixture.url}\n`);
  onSignal(() => fixture.close());
}

/** Closes cleanly on SIGINT/SIGTERM, but never lingers: open streams get 3 s, then the process exits. */
function onSignal(close: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      setTimeout(() => process.exit(0), 3000).unref();
      void close().finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
