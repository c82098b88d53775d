-- Load (or refresh) a schedule's stock from the database: its release data and the cards of
-- its standing bookings (score +inf in sh:<id>). Booked cards are added, never removed: a
-- confirmation that landed in Redis a moment before its database row was written must not be
-- forgotten by a rebuild that read the database just before it (the database's own capacity
-- check is the last line).
--
-- ARGV: 1 prefix, 2 schedule_id, 3 ttl_ms, 4 status, 5 capacity, 6 referral_quota,
--       7 release_ms, 8 referral_release_ms, 9 date, 10 department_id, 11 hospital_id,
--       12 fee_fen, 13 start_ms, then pairs (card_pk, kind) of standing bookings
local P, sid, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local skey = P .. 'sched:' .. sid
redis.call('HSET', skey, 'status', ARGV[4], 'cap', ARGV[5], 'rq', ARGV[6], 'rel', ARGV[7],
           'rrel', ARGV[8], 'date', ARGV[9], 'dept', ARGV[10], 'hosp', ARGV[11], 'fee', ARGV[12],
           'start', ARGV[13])
redis.call('PEXPIRE', skey, ttl)
local slots = P .. 'sh:' .. sid
for i = 14, #ARGV, 2 do
  local pk, kind = ARGV[i], ARGV[i + 1]
  redis.call('ZADD', slots, '+inf', pk)
  if kind == 'referral' then redis.call('ZADD', P .. 'shr:' .. sid, '+inf', pk) end
  redis.call('ZADD', P .. 'cd:' .. pk .. ':' .. ARGV[9], '+inf', sid)
  redis.call('ZADD', P .. 'cdd:' .. pk .. ':' .. ARGV[9] .. ':' .. ARGV[10], '+inf', sid)
end
for _, key in ipairs({slots, P .. 'shr:' .. sid}) do
  if redis.call('EXISTS', key) == 1 then redis.call('PEXPIRE', key, ttl) end
end
return redis.call('ZCOUNT', slots, '+inf', '+inf')
