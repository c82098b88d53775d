#!lua
-- Suspend a session (停诊), step 2 on the schedule's slot: every hold that step 1 found live is
-- marked suspended (unless it was released or expired meanwhile), so a late payment for it is
-- refunded, and the session's stock is dropped. The caller then frees each card's per-day
-- entry for the session (card_free.lua, 'any') with the cards this returns.
-- KEYS: 1 {s<id>}:sh, 2 {s<id>}:shr, then the records {s<id>}:hold:<id> of step 1's holds
-- Returns the card pks that had a hold or booking in the session.
for i = 3, #KEYS do
  if redis.call('HGET', KEYS[i], 'state') == 'held' then redis.call('HSET', KEYS[i], 'state', 'suspended') end
end
local cards = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2])
return cards
