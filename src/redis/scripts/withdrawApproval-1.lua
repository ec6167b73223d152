--[[ withdrawApproval-1.lua: pending -> withdrawn (an explicit act by an operator).
  KEYS[1] HASH the approval
  ARGV[1] events channel  ARGV[2] by  ARGV[3] reason ("" for none)  ARGV[4] retention ms  ARGV[5] releaser flag
  Output: {1, hash} withdrawn  {-1} not found  {-2, hash} no longer pending  {-3, hash} was past expiry: expired now
]]
--- @include "includes/approvalHelpers"
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
