#!lua
-- Suspend a session (停诊), step 1 on the schedule's slot: no new holds from now on, and the
-- holds that are live, so that the caller can name their records (KEYS) in step 2
-- (suspend_holds.lua). Nothing can take or confirm a hold between the two steps: both check
-- the status this sets.
-- KEYS: 1 {s<id>}:sched, 2 {s<id>}:sh, 3 {s<id>}:shid
-- ARGV: 1 now_ms
-- Returns {} if the session is not in Redis, else {date, department_id, {live hold ids}}.
local skey, holds, ids = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[1])
if redis.call('EXISTS', skey) == 0 then return {} end
redis.call('HSET', skey, 'status', 'suspended')
local meta = redis.call('HMGET', skey, 'date', 'dept')
local live = {}
for _, pk in ipairs(redis.call('ZRANGEBYSCORE', holds, '(' .. now, '(+inf')) do
  local hold_id = redis.call('HGET', ids, pk)
  if hold_id then table.insert(live, hold_id) end
end
return {meta[1], meta[2], live}
