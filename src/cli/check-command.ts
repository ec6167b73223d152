import { Command } from 'commander';
import { UpstreamConnection } from '../mcp/index.js';
import { classify, loadPolicyFile, unmatchedRules, type ToolClassification } from '../policy/index.js';
import { silentLogger, formatDuration } from '../shared/index.js';
import { configOptions, loadCliConfig, type ConfigOptions } from './config-options.js';
import { exitOnError } from './process.js';

interface CheckedTool {
  server: string;
  tool: string;
  decision: ToolClassification;
}

/** `airlock check <policy>`: validate a policy, then show what it decides for every upstream tool. */
export function checkCommand(): Command {
  return configOptions(new Command('check'))
    .description('Validate a policy file and print the effective decision for every tool of the configured upstreams')
    .argument('<policy>', 'policy file to check')
    .option('--json', 'print the decisions as JSON')
    .action(async (policyFile: string, options: ConfigOptions & { json?: boolean }) => {
      await exitOnError(silentLogger(), async () => {
        const policy = loadPolicyFile(policyFile);
        const { config } = loadCliConfig(options);
        const { toolsByServer, unreachable } = await listUpstreamTools(config.upstreams);
        const checked: CheckedTool[] = [...toolsByServer].flatMap(([server, tools]) =>
          tools.map((tool) => ({ server, tool, decision: classify(policy, server, tool) })),
        );
        // With an upstream's tools unknown, no rule can be said to match nothing.
        const warnings =
          unreachable.length > 0
            ? []
            : unmatchedRules(policy, toolsByServer).map(
                (rule) => `rule ${rule} matches no tool of the configured upstreams`,
              );
        const errors = unreachable.map((u) => `upstream ${u.name}: ${u.error}; its tools were not checked`);
        if (errors.length > 0) process.exitCode = 1;
        if (options.json) {
          process.stdout.write(
            JSON.stringify({ policy: policyFile, valid: true, tools: checked, warnings, errors }, null, 2) + '\n',
          );
          return;
        }
        process.stdout.write(`${policyFile}: valid (default ${policy.default})\n\n${renderTable(checked)}\n`);
        for (const warning of warnings) process.stdout.write(`warning: ${warning}\n`);
        for (const error of errors) process.stderr.write(`airlock: ${error}\n`);
      });
    });
}

/** Each upstream's tool names, and the upstreams that could not be listed (with why). */
async function listUpstreamTools(
  upstreams: Record<string, ConstructorParameters<typeof UpstreamConnection>[1]>,
): Promise<{ toolsByServer: Map<string, string[]>; unreachable: { name: string; error: string }[] }> {
  const connections = Object.entries(upstreams).map(
    ([name, config]) => new UpstreamConnection(name, config, silentLogger()),
  );
  try {
    await Promise.all(connections.map((c) => c.start()));
    const ready = connections.filter((c) => c.state === 'ready');
    return {
      toolsByServer: new Map(ready.map((c) => [c.name, c.tools.map((t) => t.name)])),
      unreachable: connections
        .filter((c) => c.state !== 'ready')
        .map((c) => ({ name: c.name, error: c.lastError ?? `did not answer (${c.state})` })),
    };
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
}

function renderTable(rows: CheckedTool[]): string {
  const lines = rows.map((row) => {
    const d = row.decision;
    const action = d.hidden ? 'deny (hidden)' : d.action + (d.conditional ? ' (conditional)' : '');
    const limits = d.limits.map((l) => `${l.counter} ${l.max}/${l.window} per ${l.scope}`).join(', ') || '-';
    const approval = d.approval
      ? `${d.approval.minApprovals} of ${d.approval.approvers.join(' ')}, expires ${formatDuration(d.approval.timeoutMs)}`
      : '-';
    return [
      row.server,
      row.tool,
      action,
      limits,
      approval,
      d.rule + (d.reason && d.action === 'deny' ? `: ${d.reason}` : ''),
    ];
  });
  const header = ['SERVER', 'TOOL', 'DECISION', 'LIMITS', 'APPROVAL', 'RULE'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [render(header), ...lines.map(render)].join('\n');
}
