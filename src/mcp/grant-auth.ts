import { createHash } from 'node:crypto';
import type { GrantConfig } from '../config/index.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Bearer token → grant. Tokens are compared by their SHA-256, so configs may hold only the hash
 * (`token_sha256`) and a lookup never compares secrets byte by byte.
 */
export class GrantAuthenticator {
  private readonly byHash = new Map<string, GrantConfig>();

  constructor(grants: GrantConfig[]) {
    for (const grant of grants) {
      const hash = grant.token_sha256 ?? sha256(grant.token!);
      this.byHash.set(hash, grant);
    }
  }

  /** The grant for an `Authorization` header value, or why there is none. */
  authenticate(header: string | undefined): { grant: GrantConfig } | { error: 'missing_token' | 'invalid_token' } {
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) return { error: 'missing_token' };
    const grant = this.byHash.get(sha256(match[1]!));
    return grant === undefined ? { error: 'invalid_token' } : { grant };
  }
}
