#!lua
-- Load (or refresh) a schedule's stock from the database, on the schedule's slot: its release
-- data and the cards of its standing bookings (score +inf in {s<id>}:sh). Booked cards are
-- added, never removed: a confirmation that landed in Redis a moment before its database row
-- was written must not be forgotten by a rebuild that read the database just before it (the
-- database's own capacity check is the last line). The caller then marks each booked card's
-- per-day sets (card_book.lua, the card's slot).
--
-- KEYS: 1 {s<id>}:sched, 2 {s<id>}:sh, 3 {s<id>}:shr
-- ARGV: 1 ttl_ms, 2 status, 3 capacity, 4 referral_quota, 5 release_ms, 6 referral_release_ms,
--       7 date, 8 department_id, 9 hospital_id, 10 fee_fen, 11 start_ms, then pairs
--       (card_pk, kind) of standing bookings
-- Returns how many cards stand booked in Redis.
local skey, slots, rslots = KEYS[1], KEYS[2], KEYS[3]
local ttl = tonumber(ARGV[1])
redis.call('HSET', skey, 'status', ARGV[2], 'cap', ARGV[3], 'rq', ARGV[4], 'rel', ARGV[5],
           'rrel', ARGV[6], 'date', ARGV[7], 'dept', ARGV[8], 'hosp', ARGV[9], 'fee', ARGV[10],
           'start', ARGV[11])
redis.call('PEXPIRE', skey, ttl)
for i = 12, #ARGV, 2 do
  local pk, kind = ARGV[i], ARGV[i + 1]
  redis.call('ZADD', slots, '+inf', pk)
  if kind == 'referral' then redis.call('ZADD', rslots, '+inf', pk) end
end
for _, key in ipairs({slots, rslots}) do
  if redis.call('EXISTS', key) == 1 then redis.call('PEXPIRE', key, ttl) end
end
return redis.call('ZCOUNT', slots, '+inf', '+inf')
