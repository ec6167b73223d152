import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { PACKAGE_ROOT } from '../config/index.js';
import { parsePolicy } from '../policy/index.js';
import { PROFILES, starterPolicy, type Profile } from '../risk/index.js';
import { AirlockError, silentLogger } from '../shared/index.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';
import { exitOnError } from './process.js';
import { listUpstreamTools } from './upstream-tools.js';

interface InitOptions extends ConfigOptions {
  upstream?: string;
  profile: Profile;
  out?: string;
  approvers?: string;
  approvalTimeout: string;
  force?: boolean;
}

/** `airlock init`: a starter policy from the configured upstreams' tools and their risk classes. */
export function initCommand(): Command {
  return configOptions(new Command('init'))
    .description(
      "Write a starter policy from the configured upstreams' tools: default deny, reads allowed, writes rate-limited, destructive tools held for approval (balanced) or denied (strict)",
    )
    .option('--upstream <name>', 'only this upstream (default: every configured upstream)')
    .addOption(new Option('--profile <profile>', 'how strict the policy is').choices(PROFILES).default('balanced'))
    .option('--out <file>', 'write the policy to this file (default: print it)')
    .option('--approvers <ids>', 'Slack user or user-group ids who approve held calls (comma-separated)')
    .option('--approval-timeout <duration>', 'how long a held call waits for a decision', '15m')
    .option('--force', 'replace --out if it exists')
    .action(async (options: InitOptions) => {
      await exitOnError(silentLogger(), async () => {
        const out = options.out === undefined ? undefined : resolve(options.out);
        if (out !== undefined && existsSync(out) && !options.force)
          throw new AirlockError('init_refused', `${options.out} exists: pass --force to replace it`);
        const { config } = loadCliConfig(options);
        const { toolsByServer, unreachable } = await listUpstreamTools(config, options.upstream);
        if (unreachable.length > 0)
          throw new AirlockError(
            'upstream_unavailable',
            `cannot list the tools of ${unreachable.map((u) => `${u.name} (${u.error})`).join(', ')}; nothing was written`,
          );
        const approvers = options.approvers
          ?.split(',')
          .map((id) => id.trim())
          .filter(Boolean);
        const policy = starterPolicy({
          servers: [...toolsByServer].map(([name, tools]) => ({ name, tools })),
          profile: options.profile,
          ...(approvers?.length ? { approval: { approvers, timeout: options.approvalTimeout } } : {}),
          ...(out ? { schemaRef: schemaRef(out) } : {}),
        });
        const text = JSON.stringify(policy, null, 2) + '\n';
        // What is written must load: the same validation as `airlock check` and the gateway.
        parsePolicy(text, options.out ?? 'the generated policy');
        if (out === undefined) {
          process.stdout.write(text);
          return;
        }
        const temporary = join(dirname(out), `.${process.pid}.init.tmp`);
        writeFileSync(temporary, text);
        renameSync(temporary, out);
        process.stderr.write(
          `wrote ${options.out} (${options.profile} profile): ${tally(policy)}; check it with: airlock check ${options.out}\n`,
        );
      });
    });
}

/** "27 allowed, 7 rate-limited, 6 held for approval". */
function tally(policy: ReturnType<typeof starterPolicy>): string {
  const rules = Object.values(policy.servers ?? {}).flatMap((section) => Object.values(section.tools ?? {}));
  const counts = new Map<string, number>();
  for (const rule of rules) {
    const kind =
      rule.action === 'require_approval'
        ? 'held for approval'
        : rule.action === 'deny'
          ? 'denied'
          : rule.rate_limit
            ? 'rate-limited'
            : 'allowed';
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
}

/** The JSON Schema of policies, relative to the written file (editors resolve it from there). */
function schemaRef(out: string): string {
  const path = relative(dirname(out), join(PACKAGE_ROOT, 'policies', 'policy.schema.json'))
    .split('\\')
    .join('/');
  return path.startsWith('.') ? path : `./${path}`;
}
