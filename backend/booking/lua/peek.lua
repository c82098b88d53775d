#!lua
-- A hold in steps (Redis Cluster), step 1 on the schedule's slot, read-only: the session's
-- release data, which the card's step needs (date, department, release times), and how many
-- slots are in use, so that the card's step can refuse a sold-out session without reserving.
-- The schedule's own step (take.lua) decides again; this is only the early answer.
--
-- Batched per schedule. KEYS: 1 {s<id>}:sched, 2 {s<id>}:sh.  ARGV: for each hold its now_ms.
-- Returns one reply per hold: {'miss'} |
--   {status, cap, rq, rel, rrel, date, dept, hosp, fee, start, used, keep_ms}
local s = redis.call('HMGET', KEYS[1], 'status', 'cap', 'rq', 'rel', 'rrel', 'date', 'dept', 'hosp', 'fee', 'start')
local out = {}
if not s[1] then
  for i = 1, #ARGV do out[i] = {'miss'} end
  return out
end
local keep = redis.call('PTTL', KEYS[1])
for i = 1, #ARGV do
  local used = redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[i], '+inf')
  out[i] = {s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], used, keep}
end
return out
