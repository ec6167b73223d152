import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Read from the source, like a lint rule: the bug this guards against (a section parsed a second
// time, ms read as seconds) type-checks and runs, so only the layering shows it.
const SRC = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const rel = (path: string) => relative(SRC, path);

describe('the config boundary', () => {
  it('gives src/audit and src/slack types only: no runtime import of src/config', () => {
    // `import { type X }` still loads the module under verbatimModuleSyntax; only `import type` does not.
    const runtime = /^(?:import|export)\s+(?!type\s)[^;]*?from\s+'\.\.\/config\/[^']*'/mu;
    const offenders = [...sources(join(SRC, 'audit')), ...sources(join(SRC, 'slack'))].filter((file) =>
      runtime.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map(rel)).toEqual([]);
  });

  it('is the only place a config section is parsed (loadConfig, once)', () => {
    const parsers =
      /\b(?:ConfigSchema|SlackConfigSchema|AuditConfigSchema|parseSlackConfig|slackConfigFromEnv|validateConfig)\b/u;
    const offenders = sources(SRC).filter(
      (file) => !rel(file).startsWith('config/') && parsers.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map(rel)).toEqual([]);
  });
});
