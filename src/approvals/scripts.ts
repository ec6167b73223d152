/**
 * The approval state machine's Lua scripts: the only code that changes an approval hash. Kept as
 * text in a .ts module so that `tsc` output carries them without a copy step; each constant is
 * what would otherwise be a `<verb><Noun>-<numKeys>.lua` file. Every script that changes state
 * bumps `version` and PUBLISHes {id, version, state} on the events channel, from inside the
 * script, so a holder in any process wakes within milliseconds.
 *
 * Keys not in KEYS (the fingerprint and pending keys, an attached approval's hash) are built from
 * names stored in the hash or passed in ARGV by keys.ts; all share the prefix's hash tag, so they
 * live in the slot of the declared keys (the same practice as BullMQ's own scripts).
 *
 * Return values are `{code, HGETALL of the approval}` unless said otherwise; negative codes are
 * refusals, mapped by store.ts.
 */
import { createHash } from 'node:crypto';

export interface LuaScript {
  readonly name: string;
  readonly numKeys: number;
  readonly lua: string;
  readonly sha1: string;
}

const PRELUDE = String.raw`
local function int(x) return string.format('%.0f', x) end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function all(hash) return redis.call('HGETALL', hash) end
-- Bump the version and tell every holder, wherever it runs.
local function announce(hash, channel)
  local v = redis.call('HINCRBY', hash, 'version', 1)
  local f = redis.call('HMGET', hash, 'id', 'state')
  redis.call('PUBLISH', channel, cjson.encode({id = f[1], version = v, state = f[2]}))
end
-- Keep the fingerprint pointing at this approval for the retention period.
local function keep_fingerprint(hash, retention)
  local f = redis.call('HMGET', hash, 'id', 'fingerprintKey')
  local current = redis.call('GET', f[2])
  if current == f[1] then redis.call('PEXPIRE', f[2], retention)
  elseif not current then redis.call('SET', f[2], f[1], 'PX', retention) end
end
-- pending -> denied | expired | withdrawn: the call will never run, its reservation is due back.
local function close_unrun(hash, state, by, reason, now, retention, releaser)
  redis.call('HSET', hash, 'state', state, 'decidedAt', int(now))
  if by ~= '' then redis.call('HSET', hash, 'decidedBy', by) end
  if reason ~= '' then redis.call('HSET', hash, 'decisionReason', reason) end
  local f = redis.call('HMGET', hash, 'id', 'pendingKey', 'fingerprintKey', 'reservation')
  redis.call('ZREM', f[2], f[1])
  redis.call('PEXPIRE', hash, retention)
  if redis.call('GET', f[3]) == f[1] then redis.call('PEXPIRE', f[3], retention) end
  if f[4] then redis.call('HSET', hash, 'release', releaser == '1' and 'claimed' or 'due') end
end
-- executing with a dead lease -> executed/unknown: never run again.
local function mark_unknown(hash, now, retention)
  redis.call('HSET', hash, 'state', 'executed', 'outcome', 'unknown', 'finishedAt', int(now),
    'result', '{"error":"the Airlock process running this call stopped before it finished"}')
  redis.call('PEXPIRE', hash, retention)
  keep_fingerprint(hash, retention)
end
`;

/** Header comment first (it documents the contract), then the shared prelude, then the body. */
function define(name: string, numKeys: number, header: string, main: string): LuaScript {
  const lua = `${header}\n${PRELUDE}\n${main}`;
  return Object.freeze({ name, numKeys, lua, sha1: createHash('sha1').update(lua).digest('hex') });
}

export const createApproval = define(
  'createApproval',
  4,
  String.raw`--[[ createApproval-4.lua: open an approval, or re-attach to the one holding this fingerprint.
  KEYS[1] HASH the new approval   KEYS[2] STRING fingerprint -> id
  KEYS[3] ZSET the grant's pending approvals (id -> expiresAt)   KEYS[4] ZSET index (id -> createdAt)
  ARGV[1] events channel  ARGV[2] approval hash key head ("<prefix>:approval:")  ARGV[3] new id
  ARGV[4] max_pending  ARGV[5] timeout ms  ARGV[6] retention ms  ARGV[7..] immutable field/value pairs
  Output: {1, hash} created  {2, hash of the existing approval} attached
          {-1, pendingCount} max_pending reached  {-2} the new id is taken
]]`,
  String.raw`
local now = now_ms()
local existing = redis.call('GET', KEYS[2])
if existing then
  local h = ARGV[2] .. existing
  if redis.call('EXISTS', h) == 1 then return {2, all(h)} end
  redis.call('DEL', KEYS[2])
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {-2} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', int(now))
local pending = redis.call('ZCARD', KEYS[3])
if pending >= tonumber(ARGV[4]) then return {-1, pending} end
local timeout = tonumber(ARGV[5])
local keep = timeout + tonumber(ARGV[6])
local expiresAt = now + timeout
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('HSET', KEYS[1], 'state', 'pending', 'version', 0, 'createdAt', int(now), 'expiresAt', int(expiresAt),
  'approvalCount', 0, 'fingerprintKey', KEYS[2], 'pendingKey', KEYS[3])
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('SET', KEYS[2], ARGV[3], 'PX', keep)
redis.call('ZADD', KEYS[3], int(expiresAt), ARGV[3])
if redis.call('PTTL', KEYS[3]) < keep then redis.call('PEXPIRE', KEYS[3], keep) end
redis.call('ZADD', KEYS[4], int(now), ARGV[3])
announce(KEYS[1], ARGV[1])
return {1, all(KEYS[1])}
`,
);

export const decideApproval = define(
  'decideApproval',
  1,
  String.raw`--[[ decideApproval-1.lua: one approver's approve or deny; the first final decision wins.
  KEYS[1] HASH the approval
  ARGV[1] events channel  ARGV[2] "approve" | "deny"  ARGV[3] approver  ARGV[4] reason ("" for none)
  ARGV[5] retention ms  ARGV[6] "1" when the caller releases the reservation itself, else "0"
  Output: {1, hash} approved (min_approvals reached)  {2, hash} denied  {3, hash} approval counted, more needed
          {-1} not found  {-2, hash} no longer pending  {-3, hash} was past expiry: this call expired it
          {-4, hash} this approver had already approved
]]`,
  String.raw`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local now = now_ms()
local f = redis.call('HMGET', KEYS[1], 'state', 'expiresAt', 'approvalCount', 'minApprovals', 'id', 'pendingKey')
if f[1] ~= 'pending' then return {-2, all(KEYS[1])} end
if now >= tonumber(f[2]) then
  close_unrun(KEYS[1], 'expired', '', '', now, ARGV[5], ARGV[6])
  announce(KEYS[1], ARGV[1])
  return {-3, all(KEYS[1])}
end
if ARGV[2] == 'deny' then
  close_unrun(KEYS[1], 'denied', ARGV[3], ARGV[4], now, ARGV[5], ARGV[6])
  announce(KEYS[1], ARGV[1])
  return {2, all(KEYS[1])}
end
local n = tonumber(f[3])
for i = 1, n do
  if redis.call('HGET', KEYS[1], 'approver:' .. i) == ARGV[3] then return {-4, all(KEYS[1])} end
end
n = n + 1
redis.call('HSET', KEYS[1], 'approver:' .. n, ARGV[3], 'approvedAt:' .. n, int(now), 'approvalCount', n)
if n >= tonumber(f[4]) then
  redis.call('HSET', KEYS[1], 'state', 'approved', 'decidedBy', ARGV[3], 'decidedAt', int(now))
  if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'decisionReason', ARGV[4]) end
  redis.call('ZREM', f[6], f[5])
  announce(KEYS[1], ARGV[1])
  return {1, all(KEYS[1])}
end
announce(KEYS[1], ARGV[1])
return {3, all(KEYS[1])}
`,
);

export const expireApproval = define(
  'expireApproval',
  1,
  String.raw`--[[ expireApproval-1.lua: pending -> expired, when its time is up (or forced by the expiry job).
  KEYS[1] HASH the approval
  ARGV[1] events channel  ARGV[2] "1" to expire even before expiresAt by the Redis clock (the BullMQ
  delay elapsed on the producer's clock), else "0"  ARGV[3] retention ms  ARGV[4] releaser flag (see decide)
  Output: {1, hash} expired by this call  {0, hash} nothing to do  {-1} not found
]]`,
  String.raw`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local now = now_ms()
local f = redis.call('HMGET', KEYS[1], 'state', 'expiresAt')
if f[1] ~= 'pending' then return {0, all(KEYS[1])} end
if ARGV[2] ~= '1' and now < tonumber(f[2]) then return {0, all(KEYS[1])} end
close_unrun(KEYS[1], 'expired', '', '', now, ARGV[3], ARGV[4])
announce(KEYS[1], ARGV[1])
return {1, all(KEYS[1])}
`,
);

export const withdrawApproval = define(
  'withdrawApproval',
  1,
  String.raw`--[[ withdrawApproval-1.lua: pending -> withdrawn (an explicit act by an operator).
  KEYS[1] HASH the approval
  ARGV[1] events channel  ARGV[2] by  ARGV[3] reason ("" for none)  ARGV[4] retention ms  ARGV[5] releaser flag
  Output: {1, hash} withdrawn  {-1} not found  {-2, hash} no longer pending  {-3, hash} was past expiry: expired now
]]`,
  String.raw`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local now = now_ms()
local f = redis.call('HMGET', KEYS[1], 'state', 'expiresAt')
if f[1] ~= 'pending' then return {-2, all(KEYS[1])} end
if now >= tonumber(f[2]) then
  close_unrun(KEYS[1], 'expired', '', '', now, ARGV[4], ARGV[5])
  announce(KEYS[1], ARGV[1])
  return {-3, all(KEYS[1])}
end
close_unrun(KEYS[1], 'withdrawn', ARGV[2], ARGV[3], now, ARGV[4], ARGV[5])
announce(KEYS[1], ARGV[1])
return {1, all(KEYS[1])}
`,
);

export const beginExecution = define(
  'beginExecution',
  2,
  String.raw`--[[ beginExecution-2.lua: approved -> executing; the one caller that gets 1 runs the call.
  KEYS[1] HASH the approval  KEYS[2] STRING its execution lease
  ARGV[1] events channel  ARGV[2] executor id  ARGV[3] lease ms  ARGV[4] retention ms
  Output: {1, hash} this caller is the executor  {0, hash} not approved (look at the state)
          {-1} not found  {-2, hash} another executor holds a live lease
          {-3, hash} the executor's lease had died: this call made it executed/unknown
]]`,
  String.raw`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local now = now_ms()
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'approved' then
  redis.call('HSET', KEYS[1], 'state', 'executing', 'executor', ARGV[2], 'executionStartedAt', int(now))
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
  announce(KEYS[1], ARGV[1])
  return {1, all(KEYS[1])}
end
if state == 'executing' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {-2, all(KEYS[1])} end
  mark_unknown(KEYS[1], now, ARGV[4])
  announce(KEYS[1], ARGV[1])
  return {-3, all(KEYS[1])}
end
return {0, all(KEYS[1])}
`,
);

export const reapExecution = define(
  'reapExecution',
  2,
  String.raw`--[[ reapExecution-2.lua: executing with a dead lease -> executed/unknown (any reader may do it).
  KEYS[1] HASH the approval  KEYS[2] STRING its execution lease
  ARGV[1] events channel  ARGV[2] retention ms
  Output: {1, hash} reaped by this call  {0, hash} nothing to do  {-1} not found
]]`,
  String.raw`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if redis.call('HGET', KEYS[1], 'state') ~= 'executing' or redis.call('EXISTS', KEYS[2]) == 1 then return {0, all(KEYS[1])} end
mark_unknown(KEYS[1], now_ms(), ARGV[2])
announce(KEYS[1], ARGV[1])
return {1, all(KEYS[1])}
`,
);

export const renewLease = define(
  'renewLease',
  1,
  String.raw`--[[ renewLease-1.lua: the executor keeps its lease alive while the call runs.
  KEYS[1] STRING the lease   ARGV[1] executor id   ARGV[2] lease ms
  Output: 1 renewed, 0 the lease is gone or someone else's
]]`,
  String.raw`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`,
);

export const finishExecution = define(
  'finishExecution',
  2,
  String.raw`--[[ finishExecution-2.lua: executing -> executed with the outcome and the stored result.
  Also accepted after a reader turned it into executed/unknown: the executor knows better.
  KEYS[1] HASH the approval  KEYS[2] STRING its execution lease
  ARGV[1] events channel  ARGV[2] executor id  ARGV[3] "ok" | "error" | "unknown"  ARGV[4] result JSON
  ARGV[5] retention ms
  Output: {1, hash} recorded  {-1} not found  {-2, hash} not this executor's execution
]]`,
  String.raw`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local f = redis.call('HMGET', KEYS[1], 'state', 'outcome', 'executor')
local mine = f[3] == ARGV[2] and (f[1] == 'executing' or (f[1] == 'executed' and f[2] == 'unknown'))
if not mine then return {-2, all(KEYS[1])} end
redis.call('HSET', KEYS[1], 'state', 'executed', 'outcome', ARGV[3], 'result', ARGV[4], 'finishedAt', int(now_ms()))
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
keep_fingerprint(KEYS[1], ARGV[5])
announce(KEYS[1], ARGV[1])
return {1, all(KEYS[1])}
`,
);

export const markCollected = define(
  'markCollected',
  1,
  String.raw`--[[ markCollected-1.lua: a denial, expiry or withdrawal reached a caller: free the fingerprint
  so that a later identical call opens a new approval. Not a transition (no version bump).
  KEYS[1] HASH the approval
  Output: {1} collected by this call  {0} already collected  {-1} not found  {-2} not denied/expired/withdrawn
]]`,
  String.raw`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local f = redis.call('HMGET', KEYS[1], 'state', 'collected', 'id', 'fingerprintKey')
if f[1] ~= 'denied' and f[1] ~= 'expired' and f[1] ~= 'withdrawn' then return {-2} end
if f[2] == '1' then return {0} end
redis.call('HSET', KEYS[1], 'collected', '1')
if redis.call('GET', f[4]) == f[3] then redis.call('DEL', f[4]) end
return {1}
`,
);

export const claimRelease = define(
  'claimRelease',
  1,
  String.raw`--[[ claimRelease-1.lua: take over a reservation release that the deciding process could not do.
  KEYS[1] HASH the approval
  Output: {1, reservation JSON} this caller must release it  {0} nothing due
]]`,
  String.raw`
if redis.call('HGET', KEYS[1], 'release') ~= 'due' then return {0} end
redis.call('HSET', KEYS[1], 'release', 'claimed')
return {1, redis.call('HGET', KEYS[1], 'reservation')}
`,
);
