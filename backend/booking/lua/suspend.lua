-- Suspend a session (停诊): no new holds, every live hold marked suspended (so a late payment
-- for it is refunded), and each affected card's per-day counters freed.
-- ARGV: 1 prefix, 2 schedule_id, 3 now_ms
-- Returns the ids of the holds that were live.
local P, sid, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local skey = P .. 'sched:' .. sid
if redis.call('EXISTS', skey) == 0 then return {} end
redis.call('HSET', skey, 'status', 'suspended')
local meta = redis.call('HMGET', skey, 'date', 'dept')
local date, dept = meta[1], meta[2]
local live = {}
local holds = redis.call('ZRANGEBYSCORE', P .. 'sh:' .. sid, '(' .. now, '(+inf')
for _, pk in ipairs(holds) do
  local hold_id = redis.call('HGET', P .. 'shid:' .. sid, pk)
  if hold_id then
    redis.call('HSET', P .. 'hold:' .. hold_id, 'state', 'suspended')
    table.insert(live, hold_id)
  end
end
for _, pk in ipairs(redis.call('ZRANGE', P .. 'sh:' .. sid, 0, -1)) do
  redis.call('ZREM', P .. 'cd:' .. pk .. ':' .. date, sid)
  redis.call('ZREM', P .. 'cdd:' .. pk .. ':' .. date .. ':' .. dept, sid)
end
redis.call('DEL', P .. 'sh:' .. sid, P .. 'shr:' .. sid)
return live
