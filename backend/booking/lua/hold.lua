-- Take a hold (锁号) on one slot of a schedule: every check and the write in one atomic call,
-- one round trip, no database. Time is the service clock's (each hold's now_ms), never Redis TIME.
--
-- This is the single-Redis fast path (also the embedded store's): it builds its keys here from
-- ARGV[1] (the deployment's prefix) and touches keys of several hash tags (the session, the
-- account's {a<id>}, the schedule's {s<id>}, the card's {c<pk>}), which only one Redis allows.
-- On a Redis Cluster the same hold runs in steps, each on one slot (booking/store.py,
-- take_in_steps: peek.lua, card_hold.lua, take.lua); the keys are the same in both.
--
-- Stock is never a counter that an expiry must give back. Each schedule has one sorted set of
-- cards, {s<id>}:sh, scored by the hold's expiry, or +inf once booked: a slot is used while its
-- card's score is after `now`. An expired hold stops counting the instant it expires, whether
-- or not anyone reads it, and sweeping it later is idempotent, so nothing returns a slot twice.
-- ({s<id>}:shr is the same for referral holds and bookings, against the referral quota.)
--
-- One call carries a batch of holds (the requests that arrived together): each is decided and
-- written in turn, in arrival order, exactly as if it were a call of its own; the batch only
-- shares the round trip and the script dispatch.
--
-- ARGV: 1 prefix, 2 hold_ttl_ms, 3 max_per_day, 4 max_per_department_day, 5 rate_per_account,
--       6 rate_per_ip, 7 rate_window_ms, then for each hold 6 values:
--       now_ms, token_hash, card_id, schedule_id, client_ip, hold_id
-- Returns one reply per hold, in order:
--   {'ok', hold_id, expires_ms, fee_fen, kind} | {'err', code, ...} | {'miss', what}
local P = ARGV[1]
local ttl = tonumber(ARGV[2])
local max_day, max_dept = tonumber(ARGV[3]), tonumber(ARGV[4])
local rate_account, rate_ip = tonumber(ARGV[5]), tonumber(ARGV[6])
local window_ms = tonumber(ARGV[7])

local schedules = {}

local function over(key, limit)
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, window_ms * 2) end
  return n > limit
end

local function hold(now, token_hash, card_id, sid, ip, hold_id)
  -- 1. who is asking: the session the bearer token names
  local tok = redis.call('HMGET', P .. 'tok:' .. token_hash, 'a', 'e')
  if not tok[1] then return {'miss', 'token'} end
  if tonumber(tok[2]) <= now then return {'err', 'unauthorized'} end
  local acct = tok[1]

  -- 2. request rate, per account and per client IP (fixed windows)
  local window = math.floor(now / window_ms)
  local window_end = (window + 1) * window_ms
  if over(P .. '{a' .. acct .. '}:rl:hold:' .. window, rate_account) then
    return {'err', 'limit_exceeded', 'rate_account', window_end}
  end
  if over(P .. 'rl:hold:ip:' .. ip .. ':' .. window, rate_ip) then
    return {'err', 'limit_exceeded', 'rate_ip', window_end}
  end

  -- 3. the card is the account's own or a linked member's: card_id -> "pk|status"
  local owned = P .. '{a' .. acct .. '}:cards'
  local card = redis.call('HGET', owned, card_id)
  if not card or card_id == '_' then
    if redis.call('EXISTS', owned) == 0 then return {'miss', 'cards', acct} end
    return {'err', 'card_not_found'}
  end
  local bar = string.find(card, '|', 1, true)
  if string.sub(card, bar + 1) ~= 'active' then return {'err', 'card_inactive'} end
  local pk = string.sub(card, 1, bar - 1)
  local C = P .. '{c' .. pk .. '}:'

  -- 4. the schedule is open and released (to this card)
  local S = P .. '{s' .. sid .. '}:'
  local skey = S .. 'sched'
  local s = schedules[sid]
  if not s then
    -- read once per batch: a batch's holds mostly race for the same few sessions, and only the
    -- operator's calls (not this script) change a session
    s = redis.call('HMGET', skey, 'status', 'cap', 'rq', 'rel', 'rrel', 'date', 'dept', 'hosp', 'fee', 'start')
    schedules[sid] = s
  end
  if not s[1] then return {'miss', 'schedule'} end
  if s[1] ~= 'open' then return {'err', 'schedule_suspended'} end
  local visit_start = tonumber(s[10])
  if now >= visit_start then return {'err', 'schedule_closed'} end
  local kind = 'ordinary'
  if now < tonumber(s[4]) then
    local refkey = C .. 'ref'
    local valid_to = math.max(tonumber(redis.call('HGET', refkey, 'd:' .. s[7]) or '0'),
                              tonumber(redis.call('HGET', refkey, 'h:' .. s[8]) or '0'))
    if valid_to < visit_start then return {'err', 'not_released', s[4]} end
    if now < tonumber(s[5]) then return {'err', 'not_released', s[5]} end
    kind = 'referral'
  end

  -- 5. never two for one card in one schedule
  local holds = S .. 'sh'
  local held = redis.call('ZSCORE', holds, pk)
  if held then
    if held == 'inf' then return {'err', 'already_booked'} end
    if tonumber(held) > now then
      return {'err', 'already_held', redis.call('HGET', S .. 'shid', pk) or ''}
    end
  end

  -- 6. stock: read-only counts first, as most requests at a release are refused here. Fewer
  -- entries than slots, live or not, leaves a slot free without counting the live ones.
  local live = '(' .. now
  local cap = tonumber(s[2])
  local entries = redis.call('ZCARD', holds)
  if entries >= cap and redis.call('ZCOUNT', holds, live, '+inf') >= cap then
    return {'err', 'sold_out'}
  end
  local rholds = S .. 'shr'
  if kind == 'referral' and redis.call('ZCOUNT', rholds, live, '+inf') >= tonumber(s[3]) then
    return {'err', 'sold_out'}
  end

  -- 7. bans (no-shows, cancellations)
  local ban = redis.call('GET', C .. 'ban')
  if ban then
    local sep = string.find(ban, '|', 1, true)
    local until_ms = tonumber(string.sub(ban, sep + 1))
    if until_ms > now then return {'err', 'limit_exceeded', string.sub(ban, 1, sep - 1), until_ms} end
  end

  -- 8. per card: at most N holds/bookings per visit day, one per department per day
  local function earliest_live(key)
    local first = redis.call('ZRANGEBYSCORE', key, live, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if first[2] and first[2] ~= 'inf' then return first[2] end
    return ''
  end
  -- A set with fewer entries than its limit, live or not, is under it; only one at its limit
  -- is swept of expired entries and counted again (a card's first hold of the day, the usual
  -- case at a release, costs one ZCARD per set). A count of 0 tells that the set is new and
  -- needs its lifetime.
  local function used(key, limit)
    local n = redis.call('ZCARD', key)
    if n >= limit then n = n - redis.call('ZREMRANGEBYSCORE', key, '-inf', now) end
    return n
  end
  local day = C .. 'cd:' .. s[6]
  local day_used = used(day, max_day)
  if day_used >= max_day then
    return {'err', 'limit_exceeded', 'daily_limit', earliest_live(day)}
  end
  local dept = C .. 'cdd:' .. s[6] .. ':' .. s[7]
  local dept_used = used(dept, max_dept)
  if dept_used >= max_dept then
    return {'err', 'limit_exceeded', 'department_daily_limit', earliest_live(dept)}
  end

  -- 9. write the hold. A new key gets the session's lifetime, read once per batch (it does not
  -- change within a call: Redis stops its clock in a script); the card -> hold id map gets it
  -- at the end of the batch. The session's set is swept only when it is at its capacity with
  -- expired entries, so that it never grows past it.
  local exp = string.format('%d', now + ttl)
  if not s.keep then
    s.keep = redis.call('PTTL', skey)
    s.prefix = S
  end
  if entries >= cap then entries = entries - redis.call('ZREMRANGEBYSCORE', holds, '-inf', now) end
  if kind == 'referral' then
    redis.call('ZREMRANGEBYSCORE', rholds, '-inf', now)
    redis.call('ZADD', rholds, exp, pk)
    if s.keep > 0 and redis.call('PTTL', rholds) < 0 then redis.call('PEXPIRE', rholds, s.keep) end
  end
  redis.call('ZADD', holds, exp, pk)
  if entries == 0 and s.keep > 0 then redis.call('PEXPIRE', holds, s.keep) end
  redis.call('HSET', S .. 'shid', pk, hold_id)
  redis.call('ZADD', day, exp, sid)
  redis.call('ZADD', dept, exp, sid)
  local hkey = S .. 'hold:' .. hold_id
  redis.call('HSET', hkey, 'sid', sid, 'pk', pk, 'cid', card_id, 'acct', acct, 'exp', exp,
             'fee', s[9], 'kind', kind, 'state', 'held', 'date', s[6], 'dept', s[7])
  redis.call('PEXPIRE', hkey, ttl + 86400000)
  if s.keep > 0 then
    if day_used == 0 then redis.call('PEXPIRE', day, s.keep) end
    if dept_used == 0 then redis.call('PEXPIRE', dept, s.keep) end
  end
  return {'ok', hold_id, exp, s[9], kind}
end

local replies = {}
for i = 8, #ARGV, 6 do
  local ok, reply = pcall(hold, tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5])
  if not ok then reply = {'error', tostring(reply)} end
  table.insert(replies, reply)
end
for _, s in pairs(schedules) do
  if s.keep and s.keep > 0 then redis.call('PEXPIRE', s.prefix .. 'shid', s.keep) end
end
return replies
