--[[ decideApproval-1.lua: one approver's approve or deny; the first final decision wins.
  KEYS[1] HASH the approval
  ARGV[1] events channel  ARGV[2] "approve" | "deny"  ARGV[3] approver  ARGV[4] reason ("" for none)
  ARGV[5] retention ms  ARGV[6] "1" when the caller releases the reservation itself, else "0"
  Output: {1, hash} approved (min_approvals reached)  {2, hash} denied  {3, hash} approval counted, more needed
          {-1} not found  {-2, hash} no longer pending  {-3, hash} was past expiry: this call expired it
          {-4, hash} this approver had already approved
]]
--- @include "includes/approvalHelpers"
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
