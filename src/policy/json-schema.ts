import { z } from 'zod';
import { PolicySchema } from './schema.js';

/**
 * The JSON Schema of policy files, generated from the zod schema so the two cannot disagree.
 * Checked in as policies/policy.schema.json (editors: `"$schema": "./policy.schema.json"`);
 * regenerate with `node --import tsx src/policy/write-json-schema.ts`. Refinements that JSON
 * Schema cannot express (regex compiles, approval only on require_approval rules) are checked
 * only when Airlock loads the file.
 */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PolicySchema, { io: 'input', target: 'draft-2020-12' });
}

/** The checked-in file's exact text: 2-space JSON and a final newline. */
export function policyJsonSchemaText(): string {
  return JSON.stringify(policyJsonSchema(), null, 2) + '\n';
}
