#!lua
-- Take a session out of a card's per-day sets (the card's slot, {c<pk>}), after the schedule's
-- slot gave the hold or booking back (release.lua, suspend.lua) or refused a reservation
-- (card_hold.lua). Idempotent.
-- KEYS: 1 {c<pk>}:cd:<date>, 2 {c<pk>}:cdd:<date>:<dept>
-- ARGV: 1 schedule_id, 2 which entry: an expiry in ms (that hold's, or that reservation's),
--       'inf' (a booking), or 'any' (the session is suspended)
-- Returns how many entries were removed.
local sid, which = ARGV[1], ARGV[2]
local removed = 0
for i = 1, 2 do
  local score = redis.call('ZSCORE', KEYS[i], sid)
  if score and (which == 'any' or score == which or (which ~= 'inf' and score ~= 'inf' and tonumber(score) == tonumber(which))) then
    removed = removed + redis.call('ZREM', KEYS[i], sid)
  end
end
return removed
