--[[ releaseLimits.lua: give back a reservation (the call never reached the upstream).

  The number of keys varies with the reservation: one per log it was admitted to.

  KEYS[i]   ZSET  an admission log
  ARGV[i]   the reservation id to remove from KEYS[i]

  Output: the number of entries removed (0 when already released, trimmed or expired: harmless).
]]
local removed = 0
for i = 1, #KEYS do removed = removed + redis.call('ZREM', KEYS[i], ARGV[i]) end
return removed
