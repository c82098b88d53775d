-- Give a slot back to stock: a hold its holder dropped ('hold'), or a booking that was
-- cancelled ('booking'). Idempotent: releasing twice changes nothing the second time.
--
-- ARGV: 1 prefix, 2 mode ('hold'|'booking'), 3 schedule_id, 4 card_pk, 5 date, 6 department_id,
--       7 hold_id ('' if unknown)
-- Returns 1 if something was released, 0 if there was nothing to release.
local P, mode, sid, pk, date, dept, hold_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local day = P .. 'cd:' .. pk .. ':' .. date
local dkey = P .. 'cdd:' .. pk .. ':' .. date .. ':' .. dept
local hkey = P .. 'hold:' .. hold_id
if mode == 'hold' then
  local h = redis.call('HMGET', hkey, 'state', 'exp')
  if h[1] ~= 'held' then return 0 end
  redis.call('HSET', hkey, 'state', 'released')
  local score = redis.call('ZSCORE', P .. 'sh:' .. sid, pk)
  if not score or tonumber(score) ~= tonumber(h[2]) then return 0 end
  redis.call('ZREM', P .. 'sh:' .. sid, pk)
  redis.call('ZREM', P .. 'shr:' .. sid, pk)
  local function same(key) local v = redis.call('ZSCORE', key, sid); return v and tonumber(v) == tonumber(h[2]) end
  if same(day) then redis.call('ZREM', day, sid) end
  if same(dkey) then redis.call('ZREM', dkey, sid) end
  return 1
end
if redis.call('ZSCORE', P .. 'sh:' .. sid, pk) ~= 'inf' then return 0 end
redis.call('ZREM', P .. 'sh:' .. sid, pk)
redis.call('ZREM', P .. 'shr:' .. sid, pk)
if redis.call('ZSCORE', day, sid) == 'inf' then redis.call('ZREM', day, sid) end
if redis.call('ZSCORE', dkey, sid) == 'inf' then redis.call('ZREM', dkey, sid) end
if hold_id ~= '' and redis.call('EXISTS', hkey) == 1 then redis.call('HSET', hkey, 'state', 'cancelled') end
return 1
