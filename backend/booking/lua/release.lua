#!lua
-- Give a slot back to stock, on the schedule's slot: a hold its holder dropped ('hold'), or a
-- booking that was cancelled ('booking'). Idempotent: releasing twice changes nothing the second
-- time. The caller then takes the session out of the card's per-day sets (card_free.lua, the
-- card's slot) with the entry this returns.
--
-- KEYS: 1 {s<id>}:sh, 2 {s<id>}:shr, 3 {s<id>}:hold:<hold_id> (hold_id '' if unknown)
-- ARGV: 1 mode ('hold'|'booking'), 2 card_pk
-- Returns {1, entry} if something was released (entry: the hold's expiry, or 'inf' for a
-- booking), {0} if there was nothing to release.
local holds, rholds, hkey = KEYS[1], KEYS[2], KEYS[3]
local mode, pk = ARGV[1], ARGV[2]
if mode == 'hold' then
  local h = redis.call('HMGET', hkey, 'state', 'exp')
  if h[1] ~= 'held' then return {0} end
  redis.call('HSET', hkey, 'state', 'released')
  local score = redis.call('ZSCORE', holds, pk)
  if not score or tonumber(score) ~= tonumber(h[2]) then return {0} end
  redis.call('ZREM', holds, pk)
  redis.call('ZREM', rholds, pk)
  return {1, h[2]}
end
if redis.call('ZSCORE', holds, pk) ~= 'inf' then return {0} end
redis.call('ZREM', holds, pk)
redis.call('ZREM', rholds, pk)
if redis.call('EXISTS', hkey) == 1 then redis.call('HSET', hkey, 'state', 'cancelled') end
return {1, 'inf'}
