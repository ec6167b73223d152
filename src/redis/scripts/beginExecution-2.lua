--[[ beginExecution-2.lua: approved -> executing; the one caller that gets 1 runs the call.
  KEYS[1] HASH the approval  KEYS[2] STRING its execution lease
  ARGV[1] events channel  ARGV[2] executor id  ARGV[3] lease ms  ARGV[4] retention ms
  Output: {1, hash} this caller is the executor  {0, hash} not approved (look at the state)
          {-1} not found  {-2, hash} another executor holds a live lease
          {-3, hash} the executor's lease had died: this call made it executed/unknown
]]
--- @include "includes/approvalHelpers"
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
