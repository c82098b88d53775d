#!lua
-- Turn a paid hold into a booked slot, atomically and idempotently, on the schedule's slot.
-- The hold must still be live (its expiry after `now` and still the card's entry in the
-- schedule's hold set); an expired, released or suspended hold is refused so the payment is
-- refunded. If the hold is gone from Redis altogether (Redis was flushed and rebuilt), the
-- caller passes what the database knows of it and a slot is taken only if one is free.
-- The card's per-day sets ({c<pk>}, another slot) are marked booked by the caller afterwards
-- (card_book.lua), on 'ok' whether confirmed now or already: a payment notification that
-- WeChat repeats after a failure in between completes it.
--
-- KEYS: 1 {s<id>}:sched, 2 {s<id>}:sh, 3 {s<id>}:shr, 4 {s<id>}:hold:<hold_id>
-- ARGV: 1 now_ms, and the database's copy of the hold: 2 schedule_id, 3 card_pk, 4 expires_ms,
--       5 kind, 6 date, 7 department_id
-- Returns {'ok', 'confirmed'|'already'} | {'err', 'expired'|'released'|'suspended'|'sold_out'|'already_booked'} | {'miss', 'schedule'}
local skey, holds, rholds, hkey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[1])
local h = redis.call('HMGET', hkey, 'state', 'exp', 'sid', 'pk', 'kind', 'date', 'dept')
local sid, pk, kind, date, dept
if h[1] then
  if h[1] == 'confirmed' then return {'ok', 'already'} end
  if h[1] ~= 'held' then return {'err', h[1]} end
  sid, pk, kind, date, dept = h[3], h[4], h[5], h[6], h[7]
  local exp = tonumber(h[2])
  local score = redis.call('ZSCORE', holds, pk)
  if exp <= now or not score or tonumber(score) ~= exp then
    redis.call('HSET', hkey, 'state', 'expired')
    return {'err', 'expired'}
  end
else
  sid, pk, kind, date, dept = ARGV[2], ARGV[3], ARGV[5], ARGV[6], ARGV[7]
  if tonumber(ARGV[4]) <= now then return {'err', 'expired'} end
  local cap = redis.call('HGET', skey, 'cap')
  if not cap then return {'miss', 'schedule'} end
  local score = redis.call('ZSCORE', holds, pk)
  if score == 'inf' then return {'err', 'already_booked'} end
  local used = redis.call('ZCOUNT', holds, '(' .. now, '+inf')
  if score and tonumber(score) > now then used = used - 1 end  -- a newer hold of this very card
  if used >= tonumber(cap) then return {'err', 'sold_out'} end
end
if redis.call('HGET', skey, 'status') == 'suspended' then
  redis.call('HSET', hkey, 'state', 'suspended')
  return {'err', 'suspended'}
end
redis.call('ZADD', holds, '+inf', pk)
if kind == 'referral' then
  redis.call('ZADD', rholds, '+inf', pk)
else
  redis.call('ZREM', rholds, pk)
end
-- a set this wrote again after sweeps had emptied it (Redis deleted it) gets the session's lifetime
local keep = redis.call('PTTL', skey)
if keep > 0 then
  for _, key in ipairs({holds, rholds}) do
    if redis.call('PTTL', key) == -1 then redis.call('PEXPIRE', key, keep) end
  end
end
redis.call('HSET', hkey, 'state', 'confirmed', 'sid', sid, 'pk', pk, 'kind', kind, 'date', date, 'dept', dept)
redis.call('PEXPIRE', hkey, 86400000 * 30)
return {'ok', 'confirmed'}
