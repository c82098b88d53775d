#!lua
-- A hold in steps (Redis Cluster), step 2 on the card's slot ({c<pk>}): is this card allowed a
-- hold in this session, and if so its place in the card's per-day sets, reserved before the
-- schedule's own step (take.lua) takes the slot.
--
-- Why the per-card limits stay exact although they are no longer decided in the schedule's
-- script: the reservation is the very entry a hold leaves in the card's per-day sets (member
-- the schedule id, score the hold's expiry), written here atomically with the count it was
-- checked against. Two requests of one card racing for two sessions of a day are decided one
-- after the other on this slot, and the second already counts the first's reservation, whether
-- or not the first then gets its slot. A reservation whose schedule step refuses is given back
-- (card_free.lua, only if the entry is still the one written here). A request of a card that
-- already has an entry for this session ('present': its hold or booking, or a request of the
-- same card still on its way) reserves nothing: the session counts once for the card, and the
-- schedule's step says already_held / already_booked; should it grant instead (the other
-- request has not reached the schedule yet), the granted request raises the entry to its own
-- expiry (card_adopt.lua), and the other is then refused already_held and keeps the entry.
-- A worker that dies between this step and the schedule's leaves a reservation that lapses
-- with the hold's expiry (the card counts one session more until then, never one less).
--
-- KEYS: 1 {c<pk>}:ban, 2 {c<pk>}:ref, 3 {c<pk>}:cd:<date>, 4 {c<pk>}:cdd:<date>:<dept>
-- ARGV: 1 now_ms, 2 expires_ms (the hold's, if granted), 3 schedule_id, 4 max_per_day,
--       5 max_per_department_day, then the schedule's 6 status, 7 release_ms,
--       8 referral_release_ms, 9 start_ms, 10 department_id, 11 hospital_id, 12 sold_out (1|0),
--       13 keep_ms (the schedule's remaining lifetime)
-- Returns {'reserved', kind} | {'present', kind, deny_rule, deny_until} | {'err', code, ...}
local now, exp, sid = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local max_day, max_dept = tonumber(ARGV[4]), tonumber(ARGV[5])
local status, rel, rrel, start = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local day, dept = KEYS[3], KEYS[4]

-- the schedule's own refusals first, in the order of the single-Redis script (hold.lua)
if status ~= 'open' then return {'err', 'schedule_suspended'} end
if now >= start then return {'err', 'schedule_closed'} end
local kind = 'ordinary'
if now < rel then
  local valid_to = math.max(tonumber(redis.call('HGET', KEYS[2], 'd:' .. ARGV[10]) or '0'),
                            tonumber(redis.call('HGET', KEYS[2], 'h:' .. ARGV[11]) or '0'))
  if valid_to < start then return {'err', 'not_released', ARGV[7]} end
  if now < rrel then return {'err', 'not_released', ARGV[8]} end
  kind = 'referral'
end

local deny_rule, deny_until = '', ''
local ban = redis.call('GET', KEYS[1])
if ban then
  local sep = string.find(ban, '|', 1, true)
  local until_ms = tonumber(string.sub(ban, sep + 1))
  if until_ms > now then deny_rule, deny_until = string.sub(ban, 1, sep - 1), string.sub(ban, sep + 1) end
end

local held = redis.call('ZSCORE', day, sid)
if held and (held == 'inf' or tonumber(held) > now) then
  return {'present', kind, deny_rule, deny_until}
end
if ARGV[12] == '1' then return {'err', 'sold_out'} end
if deny_rule ~= '' then return {'err', 'limit_exceeded', deny_rule, deny_until} end

local live = '(' .. now
local function earliest_live(key)
  local first = redis.call('ZRANGEBYSCORE', key, live, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if first[2] and first[2] ~= 'inf' then return first[2] end
  return ''
end
if redis.call('ZCOUNT', day, live, '+inf') >= max_day then
  return {'err', 'limit_exceeded', 'daily_limit', earliest_live(day)}
end
if redis.call('ZCOUNT', dept, live, '+inf') >= max_dept then
  return {'err', 'limit_exceeded', 'department_daily_limit', earliest_live(dept)}
end

local keep = tonumber(ARGV[13])
for _, key in ipairs({day, dept}) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  redis.call('ZADD', key, exp, sid)
  if keep > 0 then redis.call('PEXPIRE', key, keep) end
end
return {'reserved', kind}
