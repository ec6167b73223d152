/**
 * What the scripts return, as each `.lua` file's Output header says: positive codes are the
 * outcomes, negative ones refusals (like BullMQ's `enums/error-code.ts`).
 */

export const CreateCode = { Created: 1, Attached: 2, MaxPending: -1, IdTaken: -2 } as const;
export const DecideCode = {
  Approved: 1,
  Denied: 2,
  Counted: 3,
  NotFound: -1,
  NotPending: -2,
  ExpiredNow: -3,
  AlreadyApproved: -4,
} as const;
export const ExpireCode = { Expired: 1, Nothing: 0, NotFound: -1 } as const;
export const WithdrawCode = { Withdrawn: 1, NotFound: -1, NotPending: -2, ExpiredNow: -3 } as const;
export const BeginCode = { Started: 1, NotApproved: 0, NotFound: -1, Busy: -2, ReapedNow: -3 } as const;
export const ReapCode = { Reaped: 1, Nothing: 0, NotFound: -1 } as const;
export const FinishCode = { Recorded: 1, NotFound: -1, NotMine: -2 } as const;
export const CollectCode = { Collected: 1, Already: 0, NotFound: -1, NotClosed: -2 } as const;

/** reserveLimits.lua. */
export const ReserveCode = { Admitted: 1, LimitExceeded: -1, BadArguments: -2 } as const;
export type ReserveCode = (typeof ReserveCode)[keyof typeof ReserveCode];
