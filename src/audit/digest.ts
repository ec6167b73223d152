import { hash } from 'node:crypto';
import { canonicalJson } from '../shared/index.js';

/** The hash of the chain's first line: there is no previous line. */
export const GENESIS_HASH = '0'.repeat(64);

export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

/**
 * SHA-256 of the canonical JSON of the full (unredacted) arguments: the same arguments in any key
 * order give the same digest, so an auditor holding the real arguments can prove which call it was.
 */
export function argsSha256(args: unknown): string {
  return sha256Hex(canonicalJson(args ?? {}));
}
