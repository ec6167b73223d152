--[[ createApproval-4.lua: open an approval, or re-attach to the one holding this fingerprint.
  KEYS[1] HASH the new approval   KEYS[2] STRING fingerprint -> id
  KEYS[3] ZSET the grant's pending approvals (id -> expiresAt)   KEYS[4] ZSET index (id -> createdAt)
  ARGV[1] events channel  ARGV[2] approval hash key head ("<prefix>:approval:")  ARGV[3] new id
  ARGV[4] max_pending  ARGV[5] timeout ms  ARGV[6] retention ms
  ARGV[7] "1" when the caller waits as an MCP task (an existing approval it attaches to becomes one too)
  ARGV[8..] immutable field/value pairs
  Output: {1, hash} created  {2, hash of the existing approval} attached
          {-1, pendingCount} max_pending reached  {-2} the new id is taken
]]
--- @include "includes/approvalHelpers"
local now = now_ms()
local existing = redis.call('GET', KEYS[2])
if existing then
  local h = ARGV[2] .. existing
  if redis.call('EXISTS', h) == 1 then
    if ARGV[7] == '1' then redis.call('HSET', h, 'task', '1') end
    return {2, all(h)}
  end
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
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
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
