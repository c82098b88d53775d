#!lua
-- Give back one reservation of reserve.lua (an attempt that was not a failure). Never below
-- zero and never a counter without a lifetime: a counter that expired meanwhile stays gone.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 0 then return 0 end
if n == 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
return redis.call('DECR', KEYS[1])
