import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema, policyJsonSchemaText } from './json-schema.js';

const checkedIn = new URL('../../policies/policy.schema.json', import.meta.url);

describe('policyJsonSchema', () => {
  it('equals the checked-in policies/policy.schema.json (regenerate: node --import tsx src/policy/write-json-schema.ts)', () => {
    expect(readFileSync(checkedIn, 'utf8')).toBe(policyJsonSchemaText());
  });

  it('closes every object to unknown keys and documents the fields', () => {
    const schema = policyJsonSchema() as {
      additionalProperties: boolean;
      $defs: Record<string, { description?: string; additionalProperties?: boolean }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.$defs.Rule).toMatchObject({ additionalProperties: false, description: expect.any(String) });
    expect(schema.$defs.Limit).toMatchObject({ additionalProperties: false, description: expect.any(String) });
  });
});
