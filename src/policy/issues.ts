import type { z } from 'zod';
import { showValue } from './schema.js';

/** One problem in a policy file: where (a JSON pointer, "" = the whole file) and what was expected. */
export interface PolicyIssue {
  path: string;
  message: string;
}

export { jsonPointer } from '../shared/index.js';
import { jsonPointer } from '../shared/index.js';

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
  null: 'null',
};

/**
 * zod's per-parse error map: says what was expected and what was there, in the file's own terms.
 * Messages set on a schema (schema.ts) take precedence over this one.
 */
export function policyErrorMap(issue: z.core.$ZodRawIssue): string | undefined {
  const got = issue.input === undefined ? undefined : showValue(issue.input);
  const found = got === undefined ? '' : `, got ${got}`;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      return got === undefined ? `missing: expected ${expected}` : `expected ${expected}${found}`;
    }
    case 'invalid_value': {
      const expected =
        issue.values.length === 1
          ? showValue(issue.values[0])
          : `one of ${issue.values.map((v) => (typeof v === 'string' ? v : showValue(v))).join(', ')}`;
      return got === undefined ? `missing: expected ${expected}` : `expected ${expected}${found}`;
    }
    case 'too_small':
      if (issue.origin === 'array')
        return `expected at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return `expected a non-empty string`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}${found}`;
    case 'too_big':
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}${found}`;
    case 'invalid_format':
      return `expected a string matching ${issue.pattern ?? issue.format}${found}`;
    default:
      return undefined;
  }
}

/** zod issues → one PolicyIssue per problem; unknown keys get one issue each, at the key. */
export function toPolicyIssues(issues: readonly z.core.$ZodIssue[]): PolicyIssue[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: jsonPointer(...issue.path, key), message: issue.message }))
      : [{ path: jsonPointer(...issue.path), message: issue.message }],
  );
}

/** `<file>: <pointer>: <message>`, one line per issue; whole-file issues have no pointer. */
export function formatPolicyIssues(file: string, issues: readonly PolicyIssue[]): string {
  return issues.map((i) => (i.path === '' ? `${file}: ${i.message}` : `${file}: ${i.path}: ${i.message}`)).join('\n');
}
