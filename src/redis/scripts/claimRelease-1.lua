--[[ claimRelease-1.lua: take over a reservation release that the deciding process could not do.
  KEYS[1] HASH the approval
  Output: {1, reservation JSON} this caller must release it  {0} nothing due
]]
if redis.call('HGET', KEYS[1], 'release') ~= 'due' then return {0} end
redis.call('HSET', KEYS[1], 'release', 'claimed')
return {1, redis.call('HGET', KEYS[1], 'reservation')}
