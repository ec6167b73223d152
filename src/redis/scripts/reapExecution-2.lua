--[[ reapExecution-2.lua: executing with a dead lease -> executed/unknown (any reader may do it).
  KEYS[1] HASH the approval  KEYS[2] STRING its execution lease
  ARGV[1] events channel  ARGV[2] retention ms
  Output: {1, hash} reaped by this call  {0, hash} nothing to do  {-1} not found
]]
--- @include "includes/approvalHelpers"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if redis.call('HGET', KEYS[1], 'state') ~= 'executing' or redis.call('EXISTS', KEYS[2]) == 1 then return {0, all(KEYS[1])} end
mark_unknown(KEYS[1], now_ms(), ARGV[2])
announce(KEYS[1], ARGV[1])
return {1, all(KEYS[1])}
