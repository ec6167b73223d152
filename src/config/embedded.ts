import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigInput } from './schema.js';

/** The package root (holds dist/ and policies/), whether we run from dist/ or from src/ via tsx. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Local state of the embedded default: Redis data, the stand-in's store, the demo token. */
export const DATA_DIR = '.airlock';

export const DEMO_GRANT = 'demo';

/**
 * What `npm start` runs with no config file: the MLflow stand-in as the one upstream, the seed
 * policy, one demo grant whose token is kept in .airlock/demo-token so client configs pasted
 * once keep working across restarts. No `redis` means Airlock starts its own redis-server.
 */
export function embeddedDefaultConfig(dataDir = DATA_DIR): ConfigInput {
  return {
    listen: { host: '127.0.0.1', port: 8787 },
    upstreams: {
      mlflow: {
        command: process.execPath,
        args: [join(PACKAGE_ROOT, 'dist', 'cli.js'), 'mlflow-standin', '--state', resolve(dataDir, 'mlflow-state.json')],
      },
    },
    policy: join(PACKAGE_ROOT, 'policies', 'mlflow.json'),
    grants: [{ name: DEMO_GRANT, token: demoToken(dataDir), owner: 'U0DEMOOWNER' }],
  };
}

function demoToken(dataDir: string): string {
  const file = join(dataDir, 'demo-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `airlock_demo_${randomBytes(18).toString('base64url')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}
