--[[ reserveLimits.lua: check every rate limit of one call, then consume all of them or none.

  The number of keys varies: a call carries as many limits as its rule, its server section and
  all_tools name (usually 0 to 3), and limits naming the same counter and scope share one log.
  All keys hash to one slot (the {airlock} tag in the prefix).

  KEYS[2i-1]  ZSET  admission log i: member = reservation id, score = admission time in µs (Redis TIME)
  KEYS[2i]    HASH  its meta: "keep" = retention in ms (the longest window that used the log),
                    "<windowMs>:<max>" = window text, one field per distinct limit (for "limits show")
  ARGV[1]     reservation id (unique per call; the member added to every log)
  ARGV[2]     n, the number of limits
  ARGV[3+4(j-1) .. 6+4(j-1)]  limit j: log index i (1-based), window ms, max, window text

  Output:
    { 1, nowUs }                    admitted: the id was added to every log (or was already there:
                                    a replayed call is answered, not counted twice)
    {-1, j, retryAfterMs}           limit j is full; nothing was consumed. When several are full,
                                    j is the one that frees last. retryAfterMs is exact: the moment
                                    the entry that must leave the window leaves it, minus now.
    {-2}                            malformed arguments
]]
local function int(x) return string.format('%.0f', x) end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local member = ARGV[1]
local n = tonumber(ARGV[2])
local logs = #KEYS / 2
if n == nil or logs < 1 or #KEYS % 2 ~= 0 or #ARGV ~= 2 + 4 * n then return {-2} end

-- A replay of an admitted reservation (a client retry after a lost reply) stays admitted.
local seen = redis.call('ZSCORE', KEYS[1], member)
if seen then return {1, tonumber(seen)} end

local keep = {}
for i = 1, logs do keep[i] = tonumber(redis.call('HGET', KEYS[2 * i], 'keep') or '0') end
local limits = {}
for j = 1, n do
  local b = 3 + 4 * (j - 1)
  local l = { log = tonumber(ARGV[b]), window = tonumber(ARGV[b + 1]), max = tonumber(ARGV[b + 2]),
              field = ARGV[b + 1] .. ':' .. ARGV[b + 2], text = ARGV[b + 3] }
  if l.log == nil or l.log < 1 or l.log > logs or l.window == nil or l.window <= 0 or l.max == nil or l.max < 1 then return {-2} end
  if l.window > keep[l.log] then keep[l.log] = l.window end
  limits[j] = l
end

-- Entries older than every window that reads the log can never count again.
for i = 1, logs do redis.call('ZREMRANGEBYSCORE', KEYS[2 * i - 1], '-inf', int(now - keep[i] * 1000)) end

local failed, retry = 0, -1
for j = 1, n do
  local l = limits[j]
  local log = KEYS[2 * l.log - 1]
  local from = '(' .. int(now - l.window * 1000)
  local used = redis.call('ZCOUNT', log, from, '+inf')
  if used >= l.max then
    -- used - max + 1 entries must leave; the last of them is at offset used - max.
    local e = redis.call('ZRANGEBYSCORE', log, from, '+inf', 'WITHSCORES', 'LIMIT', used - l.max, 1)
    local wait = math.ceil((tonumber(e[2]) + l.window * 1000 - now) / 1000)
    if wait > retry then failed, retry = j, wait end
  end
end
if failed > 0 then return {-1, failed, retry} end

for i = 1, logs do
  redis.call('ZADD', KEYS[2 * i - 1], int(now), member)
  redis.call('HSET', KEYS[2 * i], 'keep', int(keep[i]))
end
for j = 1, n do redis.call('HSET', KEYS[2 * limits[j].log], limits[j].field, limits[j].text) end
for i = 1, logs do
  redis.call('PEXPIRE', KEYS[2 * i - 1], int(keep[i]))
  redis.call('PEXPIRE', KEYS[2 * i], int(keep[i]))
end
return {1, now}
