import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth (arrays keep their order), so two argument objects
 * that differ only in key order have one text. Values JSON cannot hold are treated as
 * JSON.stringify treats them: `undefined` members are dropped, non-finite numbers become null.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

export interface FingerprintInput {
  grant: string;
  server: string;
  tool: string;
  args: unknown;
}

/** SHA-256 (hex) of the canonical JSON of {grant, server, tool, args}: what a held call is bound to. */
export function fingerprintOf(input: FingerprintInput): string {
  const text = canonicalJson({ grant: input.grant, server: input.server, tool: input.tool, args: input.args ?? {} });
  return createHash('sha256').update(text).digest('hex');
}
