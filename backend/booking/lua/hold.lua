-- Take a hold (锁号) on one slot of a schedule: every check and the write in one atomic call,
-- one round trip, no database. Time is the service clock's (ARGV[2]), never Redis TIME.
--
-- Keys are built here from ARGV[1] (the deployment's prefix); this script, like the others,
-- assumes one Redis (or one Cluster slot), which is what the service deploys.
--
-- Stock is never a counter that an expiry must give back: a slot is used while its card is in
-- the schedule's hold set with an expiry after `now`, or in its booked set. An expired hold
-- stops counting the instant it expires, whether or not anyone reads it, and its removal below
-- is idempotent, so nothing can return a slot twice.
--
-- ARGV: 1 prefix, 2 now_ms, 3 token_hash, 4 card_id, 5 schedule_id, 6 client_ip, 7 hold_id,
--       8 hold_ttl_ms, 9 max_per_day, 10 max_per_department_day, 11 rate_per_account,
--       12 rate_per_ip, 13 rate_window_ms
-- Returns {'ok', hold_id, expires_ms, fee_fen, kind} | {'err', code, ...} | {'miss', what}
local P = ARGV[1]
local now = tonumber(ARGV[2])
local card_id, sid, ip, hold_id = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local ttl = tonumber(ARGV[8])
local window_ms = tonumber(ARGV[13])

-- 1. who is asking: the session the bearer token names
local tok = redis.call('HMGET', P .. 'tok:' .. ARGV[3], 'a', 'e')
if not tok[1] then return {'miss', 'token'} end
if tonumber(tok[2]) <= now then return {'err', 'unauthorized'} end
local acct = tok[1]

-- 2. request rate, per account and per client IP (fixed windows)
local window = math.floor(now / window_ms)
local window_end = (window + 1) * window_ms
local function over(key, limit)
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, window_ms * 2) end
  return n > limit
end
if over(P .. 'rl:hold:a:' .. acct .. ':' .. window, tonumber(ARGV[11])) then
  return {'err', 'limit_exceeded', 'rate_account', window_end}
end
if over(P .. 'rl:hold:ip:' .. ip .. ':' .. window, tonumber(ARGV[12])) then
  return {'err', 'limit_exceeded', 'rate_ip', window_end}
end

-- 3. the card is the account's own or a linked member's
local owned = P .. 'acct:' .. acct .. ':cards'
if redis.call('SISMEMBER', owned, card_id) == 0 then
  if redis.call('EXISTS', owned) == 0 then return {'miss', 'cards', acct} end
  return {'err', 'card_not_found'}
end
local card = redis.call('HMGET', P .. 'card:' .. card_id, 'pk', 'status')
if not card[1] then return {'miss', 'card'} end
if card[2] ~= 'active' then return {'err', 'card_inactive'} end
local pk = card[1]

-- 4. the schedule is open and released (to this card)
local skey = P .. 'sched:' .. sid
local s = redis.call('HMGET', skey, 'status', 'cap', 'rq', 'rel', 'rrel', 'date', 'dept', 'hosp', 'fee', 'start')
if not s[1] then return {'miss', 'schedule'} end
if s[1] ~= 'open' then return {'err', 'schedule_suspended'} end
local visit_start = tonumber(s[10])
if now >= visit_start then return {'err', 'schedule_closed'} end
local kind = 'ordinary'
if now < tonumber(s[4]) then
  local refkey = P .. 'ref:' .. pk
  local valid_to = math.max(tonumber(redis.call('HGET', refkey, 'd:' .. s[7]) or '0'),
                            tonumber(redis.call('HGET', refkey, 'h:' .. s[8]) or '0'))
  if valid_to < visit_start then return {'err', 'not_released', s[4]} end
  if now < tonumber(s[5]) then return {'err', 'not_released', s[5]} end
  kind = 'referral'
end

-- 5. bans (no-shows, cancellations)
local ban = redis.call('GET', P .. 'ban:' .. pk)
if ban then
  local sep = string.find(ban, '|', 1, true)
  local until_ms = tonumber(string.sub(ban, sep + 1))
  if until_ms > now then return {'err', 'limit_exceeded', string.sub(ban, 1, sep - 1), until_ms} end
end

-- 6. never two for one card in one schedule
local holds = P .. 'sh:' .. sid
local booked = P .. 'sb:' .. sid
if redis.call('SISMEMBER', booked, pk) == 1 then return {'err', 'already_booked'} end
local held = redis.call('ZSCORE', holds, pk)
if held and tonumber(held) > now then
  return {'err', 'already_held', redis.call('HGET', P .. 'shid:' .. sid, pk) or ''}
end

-- 7. per card: at most N holds/bookings per visit day, one per department per day
local function earliest_expiry(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] and first[2] ~= 'inf' then return first[2] end
  return ''
end
local day = P .. 'cd:' .. pk .. ':' .. s[6]
redis.call('ZREMRANGEBYSCORE', day, '-inf', now)
if redis.call('ZCARD', day) >= tonumber(ARGV[9]) then
  return {'err', 'limit_exceeded', 'daily_limit', earliest_expiry(day)}
end
local dept = P .. 'cdd:' .. pk .. ':' .. s[6] .. ':' .. s[7]
redis.call('ZREMRANGEBYSCORE', dept, '-inf', now)
if redis.call('ZCARD', dept) >= tonumber(ARGV[10]) then
  return {'err', 'limit_exceeded', 'department_daily_limit', earliest_expiry(dept)}
end

-- 8. stock
redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
if redis.call('ZCARD', holds) + redis.call('SCARD', booked) >= tonumber(s[2]) then
  return {'err', 'sold_out'}
end
local exp = string.format('%d', now + ttl)
if kind == 'referral' then
  local rholds = P .. 'shr:' .. sid
  redis.call('ZREMRANGEBYSCORE', rholds, '-inf', now)
  if redis.call('ZCARD', rholds) + redis.call('SCARD', P .. 'sbr:' .. sid) >= tonumber(s[3]) then
    return {'err', 'sold_out'}
  end
  redis.call('ZADD', rholds, exp, pk)
end

-- 9. write the hold
redis.call('ZADD', holds, exp, pk)
redis.call('HSET', P .. 'shid:' .. sid, pk, hold_id)
redis.call('ZADD', day, exp, sid)
redis.call('ZADD', dept, exp, sid)
local hkey = P .. 'hold:' .. hold_id
redis.call('HSET', hkey, 'sid', sid, 'pk', pk, 'cid', card_id, 'acct', acct, 'exp', exp,
           'fee', s[9], 'kind', kind, 'state', 'held', 'date', s[6], 'dept', s[7])
redis.call('PEXPIRE', hkey, ttl + 86400000)
local keep = redis.call('PTTL', skey)
if keep > 0 then
  for _, key in ipairs({holds, P .. 'shid:' .. sid, day, dept}) do redis.call('PEXPIRE', key, keep) end
end
return {'ok', hold_id, exp, s[9], kind}
