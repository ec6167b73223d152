--[[ finishExecution-2.lua: executing -> executed with the outcome and the stored result.
  Also accepted after a reader turned it into executed/unknown: the executor knows better.
  KEYS[1] HASH the approval  KEYS[2] STRING its execution lease
  ARGV[1] events channel  ARGV[2] executor id  ARGV[3] "ok" | "error" | "unknown"  ARGV[4] result JSON
  ARGV[5] retention ms
  Output: {1, hash} recorded  {-1} not found  {-2, hash} not this executor's execution
]]
--- @include "includes/approvalHelpers"
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
