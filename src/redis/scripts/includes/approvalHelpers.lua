--[[ includes/approvalHelpers.lua: shared by the approval scripts (inlined where a script says
  `--- @include "includes/approvalHelpers"`). Every transition bumps `version` and PUBLISHes
  {id, version, state} from inside its script, so a holder in any process wakes within milliseconds.
  Keys not in KEYS (the fingerprint and pending keys) are read from the hash: they share its hash
  tag, so they live in the same slot (as BullMQ's own scripts do).
]]
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
