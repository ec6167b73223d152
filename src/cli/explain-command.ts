import type { Tool } from '@modelcontextprotocol/server';
import { Command, Option } from 'commander';
import { distance } from 'fastest-levenshtein';
import type { LoadedConfig } from '../config/index.js';
import { classify, loadPolicyFile } from '../policy/index.js';
import {
  classifyTool,
  describeClass,
  PROFILES,
  recommendation,
  recommendedRule,
  type Profile,
  type RiskClass,
} from '../risk/index.js';
import { AirlockError, silentLogger } from '../shared/index.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';
import { effect } from './decision-table.js';
import { exitOnError } from './process.js';
import { argumentsOf, purpose } from './tool-summary.js';
import { listUpstreamTools, type UpstreamTools } from './upstream-tools.js';

interface ExplainOptions extends ConfigOptions {
  policy?: string;
  profile: Profile;
  approvers?: string;
  json?: boolean;
}

/** Shown where a recommended approval rule needs approvers nobody named yet. */
const APPROVER_PLACEHOLDER = '<Slack user or group id>';

/** `airlock explain <tool>`: the per-tool page: what it does, its risk class and why, the rule now and the one recommended. */
export function explainCommand(): Command {
  return configOptions(new Command('explain'))
    .description(
      'Explain one upstream tool: what it does, its risk class and why, the rule that applies now, the rule recommended',
    )
    .argument('<tool>', 'the tool: the name agents call, or <upstream>/<tool>')
    .option('--policy <file>', "the policy to read the current rule from (default: the config's, and each grant's own)")
    .addOption(
      new Option('--profile <profile>', 'the profile of the recommendation').choices(PROFILES).default('balanced'),
    )
    .option('--approvers <ids>', 'Slack ids for a recommended approval rule (comma-separated)')
    .option('--json', 'print it as JSON')
    .action(async (name: string, options: ExplainOptions) => {
      await exitOnError(silentLogger(), async () => {
        const loaded = loadCliConfig(options);
        const listed = await listUpstreamTools(loaded.config);
        const { server, tool } = findTool(name, listed);
        const risk = classifyTool(tool);
        const rules = currentRules(loaded, options.policy, server, tool.name);
        const approvers = options.approvers
          ?.split(',')
          .map((id) => id.trim())
          .filter(Boolean);
        const rule = recommendedRule(risk, options.profile, {
          approvers: approvers?.length ? approvers : [APPROVER_PLACEHOLDER],
          timeout: '15m',
        });
        if (options.json) {
          const page = {
            server,
            tool: tool.name,
            description: tool.description,
            annotations: tool.annotations,
            inputSchema: tool.inputSchema,
            risk,
            rules,
            recommended: { profile: options.profile, rule },
          };
          process.stdout.write(JSON.stringify(page, null, 2) + '\n');
          return;
        }
        process.stdout.write(render(server, tool, risk, rules, options.profile, rule));
      });
    });
}

/** The tool a name means: an agent-facing name, `<upstream>/<tool>`, or an upstream's own name found once. */
function findTool(
  name: string,
  { toolsByServer, agentNames, unreachable }: UpstreamTools,
): { server: string; tool: Tool } {
  const lookup = (server: string, tool: string) => toolsByServer.get(server)?.find((t) => t.name === tool);
  const named = agentNames.get(name);
  if (named) return { server: named.server, tool: lookup(named.server, named.tool)! };
  const slash = name.indexOf('/');
  if (slash > 0) {
    const tool = lookup(name.slice(0, slash), name.slice(slash + 1));
    if (tool) return { server: name.slice(0, slash), tool };
  }
  const owners = [...toolsByServer].filter(([, tools]) => tools.some((t) => t.name === name)).map(([server]) => server);
  if (owners.length === 1) return { server: owners[0]!, tool: lookup(owners[0]!, name)! };
  if (owners.length > 1)
    throw new AirlockError(
      'tool_not_found',
      `several upstreams offer "${name}": say which, as ${owners.map((s) => `${s}/${name}`).join(' or ')}`,
    );
  const all = [...agentNames.keys()];
  const near = all
    .map((n) => ({ n, d: distance(n, name) }))
    .filter(({ n, d }) => d <= Math.max(2, Math.floor(name.length / 4)) || n.includes(name))
    .sort((a, b) => a.d - b.d)
    .slice(0, 5)
    .map(({ n }) => n);
  const down = unreachable.length ? `; not listed: ${unreachable.map((u) => `${u.name} (${u.error})`).join(', ')}` : '';
  throw new AirlockError(
    'tool_not_found',
    `no upstream tool is called "${name}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}${down}`,
  );
}

interface CurrentRule {
  /** The policy file, and the grants it applies to ("all grants" for the global one). */
  file: string;
  grants: string;
  effect: string;
  rule: string;
  reason?: string;
}

function currentRules(
  loaded: LoadedConfig,
  policyFile: string | undefined,
  server: string,
  tool: string,
): CurrentRule[] {
  const files = policyFile
    ? [{ file: policyFile, grants: 'as given' }]
    : [
        { file: loaded.config.policy, grants: 'grants without their own policy' },
        ...loaded.config.grants.flatMap((g) => (g.policy ? [{ file: g.policy, grants: `grant ${g.name}` }] : [])),
      ];
  return files.map(({ file, grants }) => {
    const decision = classify(loadPolicyFile(file), server, tool);
    return {
      file,
      grants,
      effect: effect(decision),
      rule: decision.rule,
      ...(decision.reason ? { reason: decision.reason } : {}),
    };
  });
}

function render(
  server: string,
  tool: Tool,
  risk: RiskClass,
  rules: CurrentRule[],
  profile: Profile,
  rule: object,
): string {
  const args = argumentsOf(tool);
  const width = Math.max(0, ...args.map((a) => a.name.length));
  const lines = [
    `${server}/${tool.name}${tool.title ? ` — ${tool.title}` : ''}`,
    '',
    'What it does',
    `  ${purpose(tool)}`,
    '',
    'Arguments',
    ...(args.length === 0
      ? ['  (none)']
      : args.map(
          (a) =>
            `  ${a.name.padEnd(width)}  ${a.required ? 'required' : 'optional'}  ${a.type}${a.description ? `  ${a.description}` : ''}`,
        )),
    '',
    `Risk: ${describeClass(risk)} (confidence ${risk.confidence}, from ${risk.source === 'default' ? "the spec's defaults" : `its ${risk.source}`})`,
    `  ${risk.reason}`,
    `  annotations: ${tool.annotations ? JSON.stringify(tool.annotations) : 'none'}`,
    '',
    'Rule now',
    ...rules.flatMap((r) => [
      `  ${r.file} (${r.grants}): ${r.effect}`,
      `    by ${r.rule}${r.reason ? `: ${r.reason}` : ''}`,
    ]),
    '',
    `Recommended (${profile} profile): ${recommendationWords(risk, profile)}`,
    `  ${JSON.stringify({ [tool.name]: rule })}`,
  ];
  return lines.join('\n') + '\n';
}

function recommendationWords(risk: RiskClass, profile: Profile): string {
  const r = recommendation(risk, profile);
  switch (r.kind) {
    case 'allow':
      return 'allow';
    case 'limit':
      return `allow, at most ${r.max} a ${r.window} per grant`;
    case 'approval':
      return 'hold each call for a human (require_approval)';
    case 'deny':
      return 'deny';
  }
}
