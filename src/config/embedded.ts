import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDataDir } from './data-dir.js';
import type { ConfigInput } from './schema.js';

/** The package root (holds dist/ and policies/), whether we run from dist/ or from src/ via tsx. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built stand-in's own entry (standin/, built by standin/tsconfig.build.json): no gateway CLI in the child. */
const STANDIN_ENTRY = join(PACKAGE_ROOT, 'dist', 'standin', 'standin', 'src', 'cli.js');

const DEMO_GRANT = 'demo';

/**
 * What `npm start` runs with no config file: the MLflow stand-in as the one upstream (its store in
 * the data directory, shared by every local Airlock process), the seed policy, one demo grant
 * whose token is kept in `<data dir>/demo-token` so client configs pasted once keep working across
 * restarts. No `redis` means the embedded redis-server.
 */
export function embeddedDefaultConfig(dataDir: string): ConfigInput {
  return {
    listen: { host: '127.0.0.1', port: 8787 },
    upstreams: {
      mlflow: {
        command: process.execPath,
        args: [STANDIN_ENTRY, '--state', resolve(dataDir, 'mlflow-state.json')],
      },
    },
    policy: join(PACKAGE_ROOT, 'policies', 'mlflow.json'),
    grants: [{ name: DEMO_GRANT, token: demoToken(dataDir), owner: 'U0DEMOOWNER' }],
  };
}

function demoToken(dataDir: string): string {
  const file = join(dataDir, 'demo-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  ensureDataDir(dataDir);
  const token = `airlock_demo_${randomBytes(18).toString('base64url')}`;
  // Written aside, then linked into place: two processes starting at once agree on one token,
  // and neither can read a half-written file.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, token + '\n', { mode: 0o600 });
  try {
    linkSync(temp, file);
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8').trim();
  } finally {
    unlinkSync(temp);
  }
}
