--[[ releaseLock-1.lua: delete a lock only while it is still the caller's (a lock that expired and
  was taken by another sender is left alone).
  KEYS[1]  STRING  the lock (its value: the holder's token)
  ARGV[1]  the caller's token
  Output: 1 released, 0 not held by this token
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
