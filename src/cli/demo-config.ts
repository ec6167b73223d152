import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsoleConfigSchema, loadEmbeddedConfig, PACKAGE_ROOT, type LoadedConfig } from '../config/index.js';
import { AirlockError, describeError } from '../shared/index.js';

/** The seed policy's approver, and the console user the demo adds for them. */
export const DEMO_APPROVER = 'U0DEMOAPPROVER';
export const CONSOLE_USER = 'demo-approver';
const SEED_POLICY = join(PACKAGE_ROOT, 'policies', 'mlflow.json');

/**
 * The embedded default exactly (what `npm start` runs), plus a console user for the seed
 * policy's approver (logged in only through one-time links: its token is random and never
 * shown), the policy as a fresh copy in the data directory (so console edits never touch the
 * package's seed file), and loopback only.
 */
export function demoConfig(dataDir: string, port: number): LoadedConfig {
  const loaded = loadEmbeddedConfig(dataDir);
  const token = randomBytes(32).toString('base64url');
  const consoleUser = { name: CONSOLE_USER, user_id: DEMO_APPROVER, token_sha256: sha256(token) };
  return {
    ...loaded,
    config: {
      ...loaded.config,
      listen: { ...loaded.config.listen, host: '127.0.0.1', port },
      policy: writeDemoPolicy(dataDir),
      console: ConsoleConfigSchema.parse({ users: [consoleUser] }),
    },
  };
}

function writeDemoPolicy(dataDir: string): string {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new AirlockError('data_dir_unusable', `cannot use the data directory ${dataDir}: ${describeError(error)}`);
  }
  const file = join(dataDir, 'demo-policy.json');
  // Aside, then renamed into place: a gateway watching the file never reads half of it.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, readFileSync(SEED_POLICY), { mode: 0o600 });
  renameSync(temp, file);
  return file;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
