#!lua
-- A hold in steps (Redis Cluster), step 3 on the schedule's slot ({s<id>}): take the slot. The
-- stock decision is made here alone, atomically, as in the single-Redis script (hold.lua), so a
-- session can never be oversold however the steps before it interleave. See hold.lua for the
-- stock model (sorted set of cards scored by expiry, +inf once booked) and card_hold.lua for
-- why the per-card limits, decided one step earlier on the card's slot, stay exact.
--
-- One call carries a batch of holds of this schedule, decided and written in arrival order.
-- KEYS: 1 {s<id>}:sched, 2 {s<id>}:sh, 3 {s<id>}:shr, 4 {s<id>}:shid, then for each hold
--       its record {s<id>}:hold:<hold_id>
-- ARGV: 1 hold_ttl_ms, 2 schedule_id, then for each hold 7 values: now_ms, card_pk, card_id,
--       account_id, hold_id, kind (card_hold.lua's), deny ('' or 'rule|until_ms': a ban
--       card_hold.lua found for a card it did not reserve for, since the card was 'present')
-- Returns one reply per hold: {'ok', hold_id, expires_ms, fee_fen, kind} | {'err', code, ...} | {'miss', 'schedule'}
local skey, holds, rholds, ids = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ttl, sid = tonumber(ARGV[1]), ARGV[2]
local s = redis.call('HMGET', skey, 'status', 'cap', 'rq', 'rel', 'rrel', 'date', 'dept', 'hosp', 'fee', 'start')
local granted = false

local function take(now, pk, card_id, acct, hold_id, kind, deny, hkey)
  if not s[1] then return {'miss', 'schedule'} end
  -- first: does the card hold or have this session already (so that a request of a card that
  -- got its hold a moment ago is always told so, never another refusal)
  local held = redis.call('ZSCORE', holds, pk)
  if held then
    if held == 'inf' then return {'err', 'already_booked'} end
    if tonumber(held) > now then
      return {'err', 'already_held', redis.call('HGET', ids, pk) or ''}
    end
  end
  if s[1] ~= 'open' then return {'err', 'schedule_suspended'} end
  if now >= tonumber(s[10]) then return {'err', 'schedule_closed'} end
  if kind == 'referral' then
    if now < tonumber(s[5]) then return {'err', 'not_released', s[5]} end
  elseif now < tonumber(s[4]) then
    return {'err', 'not_released', s[4]}
  end
  local live = '(' .. now
  if redis.call('ZCOUNT', holds, live, '+inf') >= tonumber(s[2]) then return {'err', 'sold_out'} end
  if kind == 'referral' and redis.call('ZCOUNT', rholds, live, '+inf') >= tonumber(s[3]) then
    return {'err', 'sold_out'}
  end
  if deny ~= '' then
    local bar = string.find(deny, '|', 1, true)
    return {'err', 'limit_exceeded', string.sub(deny, 1, bar - 1), string.sub(deny, bar + 1)}
  end

  local exp = string.format('%d', now + ttl)
  redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
  if kind == 'referral' then
    redis.call('ZREMRANGEBYSCORE', rholds, '-inf', now)
    redis.call('ZADD', rholds, exp, pk)
  end
  redis.call('ZADD', holds, exp, pk)
  redis.call('HSET', ids, pk, hold_id)
  redis.call('HSET', hkey, 'sid', sid, 'pk', pk, 'cid', card_id, 'acct', acct, 'exp', exp,
             'fee', s[9], 'kind', kind, 'state', 'held', 'date', s[6], 'dept', s[7])
  redis.call('PEXPIRE', hkey, ttl + 86400000)
  granted = true
  return {'ok', hold_id, exp, s[9], kind}
end

local replies = {}
local n = 0
for i = 3, #ARGV, 7 do
  n = n + 1
  local ok, reply = pcall(take, tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4],
                          ARGV[i + 5], ARGV[i + 6], KEYS[4 + n])
  if not ok then reply = {'error', tostring(reply)} end
  replies[n] = reply
end
-- the session's lifetime, once per call (as in hold.lua): its sets may have been swept empty,
-- which deletes them, and written again
if granted then
  local keep = redis.call('PTTL', skey)
  if keep > 0 then
    for _, key in ipairs({holds, rholds, ids}) do redis.call('PEXPIRE', key, keep) end
  end
end
return replies
