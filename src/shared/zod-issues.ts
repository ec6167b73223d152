import type { z } from 'zod';

/** A zod issue path as a JSON pointer ("/grants/0/token"), the form our error messages use. */
export function toJsonPointer(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '/';
  return path.map((part) => '/' + String(part).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

/** One line per issue: `<source>: <pointer>: <what was expected>`. */
export function formatIssues(source: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${source}: ${toJsonPointer(issue.path)}: ${describeIssue(issue)}`).join('\n');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  return issue.message;
}
