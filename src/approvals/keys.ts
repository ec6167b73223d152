import { randomBytes } from 'node:crypto';

/**
 * Every Redis key and channel the approval engine uses. All start with the prefix, which holds a
 * hash tag (`{airlock}`), so the Lua scripts may touch several of them on Redis Cluster too; the
 * BullMQ queue uses the same prefix (its keys are `<prefix>:approvals:…`, plural, so they never
 * meet ours).
 *
 *   <prefix>:approval:<id>               HASH    the approval's mutable state (changed only by scripts.ts)
 *   <prefix>:approval-fp:<fingerprint>   STRING  the approval id a call with this fingerprint attaches to
 *   <prefix>:approval-pending:<grant>    ZSET    id → expiresAt, the grant's pending approvals (max_pending)
 *   <prefix>:approval-lease:<id>         STRING  executor id, with a TTL the executor keeps refreshing
 *   <prefix>:approval-index              ZSET    id → createdAt, every approval (for list; pruned lazily)
 *   <prefix>:approval-events             pub/sub channel: {"id","version","state"} on every transition
 *
 * Grants are percent-encoded (everything but [A-Za-z0-9_.-]) so a ":" cannot forge another key.
 */
export const DEFAULT_PREFIX = '{airlock}';
export const QUEUE_NAME = 'approvals';

export class ApprovalKeys {
  readonly approvalHead: string;
  readonly index: string;
  readonly channel: string;

  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    if (!/^[^:]*\{[^{}:]+\}[^:]*$/u.test(prefix)) {
      throw new TypeError(`the Redis key prefix must hold one hash tag and no ":" (like "{airlock}"), got ${JSON.stringify(prefix)}`);
    }
    this.approvalHead = `${prefix}:approval:`;
    this.index = `${prefix}:approval-index`;
    this.channel = `${prefix}:approval-events`;
  }

  approval(id: string): string {
    return this.approvalHead + id;
  }

  fingerprint(fingerprint: string): string {
    return `${this.prefix}:approval-fp:${fingerprint}`;
  }

  pending(grant: string): string {
    return `${this.prefix}:approval-pending:${encodeSegment(grant)}`;
  }

  lease(id: string): string {
    return `${this.prefix}:approval-lease:${id}`;
  }
}

export function encodeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/gu, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `apr_` + 20 base32 characters (100 random bits): no ":" and never all digits (BullMQ job ids). */
export function newApprovalId(): string {
  const bytes = randomBytes(20);
  let id = 'apr_';
  for (const byte of bytes) id += BASE32[byte & 31];
  return id;
}

export const APPROVAL_ID_PATTERN = /^apr_[a-z2-7]{20}$/u;
