-- Turn a paid hold into a booked slot, atomically and idempotently.
-- The hold must still be live (its expiry after `now` and still the card's entry in the
-- schedule's hold set); an expired, released or suspended hold is refused so the payment is
-- refunded. If the hold is gone from Redis altogether (Redis was flushed and rebuilt), the
-- caller passes what the database knows of it and a slot is taken only if one is free.
--
-- ARGV: 1 prefix, 2 now_ms, 3 hold_id, and the database's copy of the hold:
--       4 schedule_id, 5 card_pk, 6 expires_ms, 7 kind, 8 date, 9 department_id
-- Returns {'ok', 'confirmed'|'already'} | {'err', 'expired'|'released'|'suspended'|'sold_out'|'already_booked'} | {'miss', 'schedule'}
local P = ARGV[1]
local now = tonumber(ARGV[2])
local hkey = P .. 'hold:' .. ARGV[3]
local h = redis.call('HMGET', hkey, 'state', 'exp', 'sid', 'pk', 'kind', 'date', 'dept')
local sid, pk, kind, date, dept
if h[1] then
  if h[1] == 'confirmed' then return {'ok', 'already'} end
  if h[1] ~= 'held' then return {'err', h[1]} end
  sid, pk, kind, date, dept = h[3], h[4], h[5], h[6], h[7]
  local exp = tonumber(h[2])
  local score = redis.call('ZSCORE', P .. 'sh:' .. sid, pk)
  if exp <= now or not score or tonumber(score) ~= exp then
    redis.call('HSET', hkey, 'state', 'expired')
    return {'err', 'expired'}
  end
else
  sid, pk, kind, date, dept = ARGV[4], ARGV[5], ARGV[7], ARGV[8], ARGV[9]
  if tonumber(ARGV[6]) <= now then return {'err', 'expired'} end
  local cap = redis.call('HGET', P .. 'sched:' .. sid, 'cap')
  if not cap then return {'miss', 'schedule'} end
  local score = redis.call('ZSCORE', P .. 'sh:' .. sid, pk)
  if score == 'inf' then return {'err', 'already_booked'} end
  local used = redis.call('ZCOUNT', P .. 'sh:' .. sid, '(' .. now, '+inf')
  if score and tonumber(score) > now then used = used - 1 end  -- a newer hold of this very card
  if used >= tonumber(cap) then return {'err', 'sold_out'} end
end
if redis.call('HGET', P .. 'sched:' .. sid, 'status') == 'suspended' then
  redis.call('HSET', hkey, 'state', 'suspended')
  return {'err', 'suspended'}
end
redis.call('ZADD', P .. 'sh:' .. sid, '+inf', pk)
if kind == 'referral' then
  redis.call('ZADD', P .. 'shr:' .. sid, '+inf', pk)
else
  redis.call('ZREM', P .. 'shr:' .. sid, pk)
end
redis.call('ZADD', P .. 'cd:' .. pk .. ':' .. date, '+inf', sid)
redis.call('ZADD', P .. 'cdd:' .. pk .. ':' .. date .. ':' .. dept, '+inf', sid)
redis.call('HSET', hkey, 'state', 'confirmed', 'sid', sid, 'pk', pk, 'kind', kind, 'date', date, 'dept', dept)
redis.call('PEXPIRE', hkey, 86400000 * 30)
return {'ok', 'confirmed'}
