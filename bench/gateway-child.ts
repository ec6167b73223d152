/**
 * A bench child: the gateway `airlock serve` runs (Gateway.start + listen), which also decides
 * approvals when the bench asks, with its own approval engine. So the bench can decide a held call
 * in the process that holds it or in another Airlock process, over the same code path as a Slack
 * click arriving at that process.
 *
 * argv: <config file> <data dir>. stdout: `serving MCP at <url>`, then one `decided <json>` line
 * per decision ({tag, calledAt, returnedAt}: epoch ms around decide()). stdin: one JSON line
 * {id, tag} per decision to make.
 */
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/config/index.js';
import { Gateway } from '../src/gateway.js';
import { createLogger, describeError } from '../src/shared/index.js';

const [configFile, dataDir] = process.argv.slice(2);
if (configFile === undefined || dataDir === undefined) throw new Error('usage: gateway-child.ts <config> <data-dir>');

const log = createLogger({ name: 'bench-gateway' });
const { config } = loadConfig({ file: configFile, dataDir });
if (config.redis?.url === undefined) throw new Error('the bench gateway needs redis.url in its config');
const gateway = await Gateway.start({ config, log, redisUrl: config.redis.url });
const { url } = await gateway.listen();
process.stdout.write(`serving MCP at ${url}/mcp\n`);

const decisions = createInterface({ input: process.stdin });
decisions.on('line', (line) => {
  const { id, tag } = JSON.parse(line) as { id: string; tag: string };
  const calledAt = Date.now();
  gateway.approvals.decide(id, 'approve', 'U0BENCH').then(
    () => process.stdout.write(`decided ${JSON.stringify({ tag, calledAt, returnedAt: Date.now() })}\n`),
    (error: unknown) => process.stdout.write(`decided ${JSON.stringify({ tag, error: describeError(error) })}\n`),
  );
});

// SIGTERM from the bench, or stdin closing because the bench is gone: never outlive it.
let closing = false;
const shutdown = () => {
  if (closing) return;
  closing = true;
  // A close stuck on a Redis that is already gone must not keep the process alive.
  setTimeout(() => process.exit(1), 5_000).unref();
  decisions.close();
  gateway.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', shutdown);
decisions.once('close', shutdown);
