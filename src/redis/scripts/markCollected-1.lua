--[[ markCollected-1.lua: a denial, expiry or withdrawal reached a caller: free the fingerprint
  so that a later identical call opens a new approval. Not a transition (no version bump).
  KEYS[1] HASH the approval
  Output: {1} collected by this call  {0} already collected  {-1} not found  {-2} not denied/expired/withdrawn
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local f = redis.call('HMGET', KEYS[1], 'state', 'collected', 'id', 'fingerprintKey')
if f[1] ~= 'denied' and f[1] ~= 'expired' and f[1] ~= 'withdrawn' then return {-2} end
if f[2] == '1' then return {0} end
redis.call('HSET', KEYS[1], 'collected', '1')
if redis.call('GET', f[4]) == f[3] then redis.call('DEL', f[4]) end
return {1}
