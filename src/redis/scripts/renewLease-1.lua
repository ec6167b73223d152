--[[ renewLease-1.lua: the executor keeps its lease alive while the call runs.
  KEYS[1] STRING the lease   ARGV[1] executor id   ARGV[2] lease ms
  Output: 1 renewed, 0 the lease is gone or someone else's
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
