#!lua
-- Reserve one log-in attempt against a failure counter, before the password is checked.
-- KEYS[1] the counter (an account's or a client address's); ARGV[1] the failures allowed,
-- ARGV[2] the window in ms (counted from the first failure of the window).
-- Returns {1, count} when reserved; {0, ms until the window ends} when the limit is reached
-- (nothing is counted then). A reservation stays as a failure unless it is given back
-- (give_back.lua) or the counter reset on a successful log-in.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return {0, ttl}
end
n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1, n}
