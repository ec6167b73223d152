import type { z } from 'zod';

/** RFC 6901 pointer ("/grants/0/token"): "/" inside a segment becomes "~1", "~" becomes "~0". */
export function jsonPointer(...segments: readonly PropertyKey[]): string {
  return segments.map((s) => '/' + String(s).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

/** One line per issue: `<source>: <pointer>: <what was expected>`. */
export function formatIssues(source: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${source}: ${jsonPointer(...issue.path) || '/'}: ${describeIssue(issue)}`).join('\n');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return issue.message;
}
