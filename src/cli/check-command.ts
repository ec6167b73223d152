import type { Tool } from '@modelcontextprotocol/server';
import { Command } from 'commander';
import {
  classify,
  loadPolicyFile,
  unmatchedRules,
  type CompiledPolicy,
  type ToolClassification,
} from '../policy/index.js';
import { classifyTool, type RiskClass } from '../risk/index.js';
import { silentLogger } from '../shared/index.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';
import { describeDecision, effect, renderTable, riskCell } from './decision-table.js';
import { exitOnError } from './process.js';
import { listUpstreamTools } from './upstream-tools.js';

interface CheckedTool {
  server: string;
  tool: string;
  risk: RiskClass;
  decision: ToolClassification;
}

interface CheckOptions extends ConfigOptions {
  json?: boolean;
  against?: string;
}

/** `airlock check <policy> [--against current.json]`: validate a policy, show or diff what it decides for every upstream tool. */
export function checkCommand(): Command {
  return configOptions(new Command('check'))
    .description(
      'Validate a policy file and print the effective decision and risk class of every tool of the configured upstreams',
    )
    .argument('<policy>', 'policy file to check')
    .option('--against <current>', 'list only the tools whose effective decision differs from this policy file')
    .option('--json', 'print the decisions as JSON')
    .action(async (policyFile: string, options: CheckOptions) => {
      await exitOnError(silentLogger(), async () => {
        const policy = loadPolicyFile(policyFile);
        const current = options.against === undefined ? undefined : loadPolicyFile(options.against);
        const { config } = loadCliConfig(options);
        const { toolsByServer, unreachable } = await listUpstreamTools(config);
        const errors = unreachable.map((u) => `upstream ${u.name}: ${u.error}; its tools were not checked`);
        if (errors.length > 0) process.exitCode = 1;
        const checked = checkTools(policy, toolsByServer);
        if (current !== undefined)
          printDiff(policyFile, options.against!, checked, checkTools(current, toolsByServer), options);
        else printCheck(policyFile, policy, checked, toolsByServer, unreachable.length > 0, errors, options);
        for (const error of errors) process.stderr.write(`airlock: ${error}\n`);
      });
    });
}

function checkTools(policy: CompiledPolicy, toolsByServer: Map<string, Tool[]>): CheckedTool[] {
  return [...toolsByServer].flatMap(([server, tools]) =>
    tools.map((tool) => ({
      server,
      tool: tool.name,
      risk: classifyTool(tool),
      decision: classify(policy, server, tool.name),
    })),
  );
}

function printCheck(
  policyFile: string,
  policy: CompiledPolicy,
  checked: CheckedTool[],
  toolsByServer: Map<string, Tool[]>,
  someUnreachable: boolean,
  errors: string[],
  options: CheckOptions,
): void {
  // With an upstream's tools unknown, no rule can be said to match nothing.
  const names = new Map([...toolsByServer].map(([server, tools]) => [server, tools.map((t) => t.name)]));
  const warnings = someUnreachable
    ? []
    : unmatchedRules(policy.shadow ?? policy, names).map(
        (rule) => `rule ${rule} matches no tool of the configured upstreams`,
      );
  if (options.json) {
    process.stdout.write(
      JSON.stringify({ policy: policyFile, valid: true, tools: checked, warnings, errors }, null, 2) + '\n',
    );
    return;
  }
  // Shadow parts (mode: "shadow") decide nothing: their column says what they would decide instead.
  const full = policy.shadow;
  const rows = checked.map(({ server, tool, risk, decision: d }) => {
    const { decision, limits, approval } = describeDecision(d);
    const rule = d.rule + (d.reason && d.action === 'deny' ? `: ${d.reason}` : '');
    const row = [server, tool, riskCell(risk), decision, limits, approval];
    if (full === undefined) return [...row, rule];
    const shadow = classify(full, server, tool);
    return [...row, effect(shadow) === effect(d) ? '-' : `would ${effect(shadow)} (${shadow.rule})`, rule];
  });
  const header = ['SERVER', 'TOOL', 'RISK', 'DECISION', 'LIMITS', 'APPROVAL', ...(full ? ['SHADOW'] : []), 'RULE'];
  process.stdout.write(`${policyFile}: valid (default ${policy.default})\n\n${renderTable(header, rows)}\n`);
  if (policy.document.mode === 'shadow')
    process.stdout.write(
      'warning: the whole policy is in shadow mode: every call is allowed, and what the policy would do is only audited\n',
    );
  for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
}

/** The tools whose effective decision (action, limits, approval, hidden) differs between the two policies. */
function printDiff(
  policyFile: string,
  againstFile: string,
  candidate: CheckedTool[],
  current: CheckedTool[],
  options: CheckOptions,
): void {
  const changes = candidate.flatMap((row, i) => {
    const before = current[i]!;
    return effect(before.decision) === effect(row.decision) ? [] : [{ ...row, current: before.decision }];
  });
  if (options.json) {
    const tools = changes.map((c) => ({
      server: c.server,
      tool: c.tool,
      risk: c.risk,
      current: c.current,
      candidate: c.decision,
    }));
    process.stdout.write(
      JSON.stringify({ policy: policyFile, against: againstFile, valid: true, changes: tools }, null, 2) + '\n',
    );
    return;
  }
  const heading = `${policyFile} against ${againstFile}: valid; ${changes.length} of ${candidate.length} tools change`;
  if (changes.length === 0) {
    process.stdout.write(`${heading}\n`);
    return;
  }
  const rows = changes.map((c) => [
    c.server,
    c.tool,
    riskCell(c.risk),
    `${effect(c.current)} (${c.current.rule})`,
    `${effect(c.decision)} (${c.decision.rule})`,
  ]);
  process.stdout.write(`${heading}\n\n${renderTable(['SERVER', 'TOOL', 'RISK', 'CURRENT', 'NEW'], rows)}\n`);
}
