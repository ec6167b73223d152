/**
 * Process-level running of the stand-in: stdio (nothing but protocol on stdout) or Streamable
 * HTTP, logging to stderr, clean shutdown on SIGINT/SIGTERM and, for stdio, when stdin closes.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ArtifactDownloads } from './artifact-downloads.js';
import { serveStandinHttp } from './http.js';
import { createStandinServer } from './server.js';
import { openStore } from './open-store.js';

export interface RunStandinOptions {
  http?: number;
  host: string;
  seed?: string;
  state?: string;
}

const log = (line: string) => process.stderr.write(`mlflow-standin: ${line}\n`);

export async function runStandin(options: RunStandinOptions): Promise<void> {
  const store = await openStore({
    ...(options.seed !== undefined && { seedPath: options.seed }),
    ...(options.state !== undefined && { statePath: options.state }),
  });
  const downloads = new ArtifactDownloads();
  const makeServer = () => createStandinServer(store, { downloads, log });
  let closing: Promise<void> | undefined;

  const onShutdown = (close: () => Promise<void>) => {
    const shutdown = (why: string) => {
      closing ??= (async () => {
        log(`shutting down (${why})`);
        await close().catch((error: unknown) => log(`error while closing: ${String(error)}`));
        downloads.cleanup();
        process.exit(0);
      })();
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    return shutdown;
  };

  if (options.http !== undefined) {
    const http = await serveStandinHttp(makeServer, { host: options.host, port: options.http });
    onShutdown(() => http.close());
    // Tests read the port from this exact line.
    process.stderr.write(`mlflow-standin listening on ${http.url}\n`);
    return;
  }

  const server = makeServer();
  const shutdown = onShutdown(() => server.close());
  process.stdin.once('end', () => shutdown('stdin closed'));
  process.stdin.once('close', () => shutdown('stdin closed'));
  await server.connect(new StdioServerTransport());
  log(`serving on stdio${options.state ? ` (state file ${options.state})` : ''}`);
}
