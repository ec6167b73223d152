import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/index.js';

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
