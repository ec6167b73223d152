import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `apr_` + 20 base32 characters (100 random bits): no ":" and never all digits (BullMQ job ids). */
export function newApprovalId(): string {
  const bytes = randomBytes(20);
  let id = 'apr_';
  for (const byte of bytes) id += BASE32[byte & 31];
  return id;
}

export const APPROVAL_ID_PATTERN = /^apr_[a-z2-7]{20}$/u;
