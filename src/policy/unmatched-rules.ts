import type { CompiledPolicy, CompiledSection } from './compile.js';

/**
 * Rule keys that match no tool the upstreams offer: usually a typo ("get_experimnts") or a tool
 * that was renamed upstream. `airlock check` warns about them.
 */
export function unmatchedRules(
  policy: CompiledPolicy,
  toolsByServer: ReadonlyMap<string, readonly string[]>,
): string[] {
  const all = [...toolsByServer.values()].flat();
  const unmatched = (section: CompiledSection, tools: readonly string[]) =>
    [...section.exact.values(), ...section.globs]
      .filter((rule) => !tools.some((tool) => rule.matches(tool)))
      .map((rule) => rule.id);
  const fromServers = [...policy.servers].flatMap(([server, section]) =>
    toolsByServer.has(server) ? unmatched(section, toolsByServer.get(server)!) : [`/servers/${server}`],
  );
  return [...unmatched(policy.root, all), ...fromServers];
}
