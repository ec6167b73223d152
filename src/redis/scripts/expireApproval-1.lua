--[[ expireApproval-1.lua: pending -> expired, when its time is up (or forced by the expiry job).
  KEYS[1] HASH the approval
  ARGV[1] events channel  ARGV[2] "1" to expire even before expiresAt by the Redis clock (the BullMQ
  delay elapsed on the producer's clock), else "0"  ARGV[3] retention ms  ARGV[4] releaser flag (see decide)
  Output: {1, hash} expired by this call  {0, hash} nothing to do  {-1} not found
]]
--- @include "includes/approvalHelpers"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local now = now_ms()
local f = redis.call('HMGET', KEYS[1], 'state', 'expiresAt')
if f[1] ~= 'pending' then return {0, all(KEYS[1])} end
if ARGV[2] ~= '1' and now < tonumber(f[2]) then return {0, all(KEYS[1])} end
close_unrun(KEYS[1], 'expired', '', '', now, ARGV[3], ARGV[4])
announce(KEYS[1], ARGV[1])
return {1, all(KEYS[1])}
