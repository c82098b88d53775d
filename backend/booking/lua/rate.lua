#!lua
-- A fixed-window request counter (the hold rate per account and per client IP, for the hold in
-- steps on a Redis Cluster; hold.lua counts the same keys itself on one Redis).
-- Batched: for each request one key (the window's counter) and one value (its lifetime in ms).
-- Returns each counter after this request.
local out = {}
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[i]) end
  out[i] = n
end
return out
