import { readFileSync } from 'node:fs';
import { AirlockError, type AirlockErrorCode, findJsonSyntaxError } from '../shared/index.js';
import { compilePolicy, type CompiledPolicy } from './compile.js';
import { formatPolicyIssues, policyErrorMap, toPolicyIssues, type PolicyIssue } from './issues.js';
import { PolicySchema } from './schema.js';

export type PolicyErrorCode = Extract<AirlockErrorCode, 'policy_invalid' | 'policy_not_found' | 'policy_unreadable'>;

/**
 * A policy file that cannot be used. The message has one line per issue,
 * `<file>: <JSON pointer>: <what was expected>`, ready for a log or a terminal.
 */
export class PolicyError extends AirlockError<PolicyErrorCode> {
  override readonly name = 'PolicyError';
  constructor(
    code: PolicyErrorCode,
    readonly file: string,
    readonly issues: readonly PolicyIssue[],
    options?: { cause?: unknown },
  ) {
    super(code, formatPolicyIssues(file, issues), options);
  }
}

function parseJson(text: string, source: string): unknown {
  // Editors on Windows may save a byte-order mark, which JSON.parse rejects.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (error) {
    const where = findJsonSyntaxError(body);
    const message = where
      ? `invalid JSON at line ${where.line}, column ${where.column}: ${where.message}`
      : `invalid JSON: ${error instanceof Error ? error.message : String(error)}`;
    throw new PolicyError('policy_invalid', source, [{ path: '', message }], { cause: error });
  }
}

/**
 * Validate and compile a policy: `json` is the file's text, or an already parsed value.
 * @throws PolicyError (code policy_invalid) naming every problem found.
 */
export function parsePolicy(json: string | object, sourceName: string): CompiledPolicy {
  const value = typeof json === 'string' ? parseJson(json, sourceName) : json;
  const result = PolicySchema.safeParse(value, { error: policyErrorMap, reportInput: true });
  if (!result.success) throw new PolicyError('policy_invalid', sourceName, toPolicyIssues(result.error.issues));
  return compilePolicy(result.data, sourceName);
}

/** Read the file's text; a missing or unreadable file is a PolicyError too. */
export function readPolicyText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new PolicyError('policy_not_found', path, [{ path: '', message: 'file not found' }], { cause: error });
    const why = error instanceof Error ? error.message : String(error);
    throw new PolicyError('policy_unreadable', path, [{ path: '', message: `cannot read the file: ${why}` }], {
      cause: error,
    });
  }
}

/** Read, validate and compile one policy file. @throws PolicyError */
export function loadPolicyFile(path: string): CompiledPolicy {
  return parsePolicy(readPolicyText(path), path);
}
