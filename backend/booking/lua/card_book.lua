#!lua
-- A booked session in a card's per-day sets (the card's slot, {c<pk>}): score +inf, after the
-- schedule's slot confirmed the hold (confirm.lua) or loaded the booking from the database
-- (load.lua). Idempotent.
-- KEYS: 1 {c<pk>}:cd:<date>, 2 {c<pk>}:cdd:<date>:<dept>
-- ARGV: 1 schedule_id, 2 keep_ms (0: leave the keys' lifetime as it is)
local keep = tonumber(ARGV[2])
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], '+inf', ARGV[1])
  if keep > 0 and redis.call('PTTL', KEYS[i]) < keep then redis.call('PEXPIRE', KEYS[i], keep) end
end
return 1
