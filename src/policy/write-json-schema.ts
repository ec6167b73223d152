import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { policyJsonSchemaText } from './json-schema.js';

// Usage: node --import tsx src/policy/write-json-schema.ts — rewrites policies/policy.schema.json.
const target = fileURLToPath(new URL('../../policies/policy.schema.json', import.meta.url));
writeFileSync(target, policyJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
