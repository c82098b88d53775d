#!lua
-- The release waiting room of one hospital, on the hospital's slot ({r<hospital>}): its settings
-- (cfg) and, per release moment R, the tickets. Every operation is this one script, so each is
-- one atomic call that needs no lock and no background job:
--   <p>{r<h>}:cfg      hash: en (1|0), rate (admitted per second), am/an (anchor: at am, an were
--                      admitted; set when the rate changes during a release), loaded (when these
--                      settings were put into Redis: a room that opened before that may have lost
--                      its tickets with a Redis restart, and stays open; see docs/operations.md)
--   <p>{r<h>}:<R>:t    hash: account -> 'e' (taken before R) | 'l<position>' (taken from R on)
--   <p>{r<h>}:<R>:e    sorted set: accounts of the early tickets, scored by a random key drawn at
--                      issue: their order in it is the shuffle, read as ranks from R on
--   <p>{r<h>}:<R>:m    hash: frozen (how many early tickets there are; written at the first look
--                      from R on, after which nothing joins the early set), late (arrivals since)
-- The room keys are built here from KEYS[1]; they share its hash tag, hence its slot.
--
-- KEYS: 1 <p>{r<h>}:cfg
-- ARGV: 1 op, 2 now_ms, 3 release minute of day (Asia/Shanghai), 4 open_before_ms, 5 window_ms,
--       6 valid_ms, then by op:
--   issue     7 account, 8 random key -> {'ok', R, created, pos|-1, admitted, status, until|-1, rate}
--             | {'miss'} | {'closed', opens_at|-1}
--   status    7 account, 8 R           -> {'ok', ...as issue} | {'miss'} | {'none'} | {'open', R}
--   gate      7 account, 8 R of the session -> {'pass'} | {'open', R} | {'miss'}
--             | {'deny', pos|-1, admitted, status, until|-1, rate}
--   configure 7 enabled, 8 rate, 9 'fill' (only if absent) | 'set' (re-anchors a running release)
--             -> {'ok'}
--   stats     -> {R, en, rate, early, late, admitted, open(0|1)} (today's room, or the next)
local ckey = KEYS[1]
local op, now = ARGV[1], tonumber(ARGV[2])
local release_min, open_ms, window_ms, valid_ms = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local DAY, OFFSET = 86400000, 28800000
local base_of = string.sub(ckey, 1, -4)

local function current_release()
  local r = math.floor((now + OFFSET) / DAY) * DAY - OFFSET + release_min * 60000
  if now >= r + window_ms then r = r + DAY end
  return r
end

local function read_cfg()
  local raw = redis.call('HGETALL', ckey)
  if #raw == 0 then return nil end
  local cfg = {}
  for i = 1, #raw, 2 do cfg[raw[i]] = raw[i + 1] end
  cfg.rate, cfg.am, cfg.an = tonumber(cfg.rate), tonumber(cfg.am or 0), tonumber(cfg.an or 0)
  cfg.loaded = tonumber(cfg.loaded or 0)
  return cfg
end

local function admitted(cfg, r)
  if now < r then return 0 end
  if cfg.am >= r then  -- (a worker whose clock is a little behind the anchor's sees no fewer)
    return cfg.an + math.floor(cfg.rate * math.max(now - cfg.am, 0) / 1000)
  end
  return math.floor(cfg.rate * (now - r) / 1000)
end

-- when position p was (or will be, at this rate) admitted; only asked for p <= admitted
local function admitted_at(cfg, r, p)
  if cfg.am >= r then
    if p > cfg.an then return cfg.am + math.ceil((p - cfg.an) * 1000 / cfg.rate) end
    return r + math.floor((cfg.am - r) * p / cfg.an)  -- before the change: spread evenly
  end
  return r + math.ceil(p * 1000 / cfg.rate)
end

local function freeze(base)
  local frozen = redis.call('HGET', base .. 'm', 'frozen')
  if frozen then return tonumber(frozen) end
  frozen = redis.call('ZCARD', base .. 'e')
  redis.call('HSET', base .. 'm', 'frozen', frozen)
  return frozen
end

-- {pos|-1, admitted, status, until|-1, rate} of an account's ticket record
local function ticket_state(cfg, r, base, account, record)
  local pos = -1
  if record == 'e' then
    if now >= r then
      freeze(base)
      pos = redis.call('ZRANK', base .. 'e', account) + 1
    end
  else
    pos = tonumber(string.sub(record, 2))
  end
  local adm = admitted(cfg, r)
  local status, till = 'waiting', -1
  if pos > 0 and pos <= adm then
    till = admitted_at(cfg, r, pos) + valid_ms
    status = now < till and 'admitted' or 'expired'
  end
  return {pos, adm, status, till, cfg.rate}
end

local function untrusted(cfg, r)  -- settings reloaded after this room opened: its tickets may be gone
  return cfg.loaded > r - open_ms
end

if op == 'configure' then
  local exists = redis.call('EXISTS', ckey) == 1
  if ARGV[9] == 'fill' and exists then return {'ok'} end
  local rate = tonumber(ARGV[8])
  if not exists then
    redis.call('HSET', ckey, 'en', ARGV[7], 'rate', rate, 'am', 0, 'an', 0, 'loaded', now)
    return {'ok'}
  end
  local cfg = read_cfg()
  local r = current_release()
  if now >= r and now < r + window_ms then
    redis.call('HSET', ckey, 'am', now, 'an', admitted(cfg, r))
  end
  redis.call('HSET', ckey, 'en', ARGV[7], 'rate', rate)
  return {'ok'}
end

local cfg = read_cfg()
if op == 'stats' then
  local r = current_release()
  local base = base_of .. r .. ':'
  local en, rate = '1', 0
  if cfg then en, rate = cfg.en, cfg.rate end
  local m = redis.call('HMGET', base .. 'm', 'frozen', 'late')
  return {r, en, rate, redis.call('ZCARD', base .. 'e'), tonumber(m[2] or 0),
          cfg and admitted(cfg, r) or 0, (cfg and untrusted(cfg, r)) and 1 or 0}
end
if not cfg then return {'miss'} end

local account = ARGV[7]
if op == 'issue' then
  if cfg.en ~= '1' then return {'closed', -1} end
  local r = current_release()
  if now < r - open_ms then return {'closed', r - open_ms} end
  if untrusted(cfg, r) then return {'closed', -1} end
  local base = base_of .. r .. ':'
  local record = redis.call('HGET', base .. 't', account)
  local created = 0
  if not record then
    if now < r and redis.call('HEXISTS', base .. 'm', 'frozen') == 0 then
      redis.call('ZADD', base .. 'e', tonumber(ARGV[8]), account)
      record = 'e'
    else
      local seq = redis.call('HINCRBY', base .. 'm', 'late', 1)
      record = 'l' .. (freeze(base) + seq)
    end
    redis.call('HSET', base .. 't', account, record)
    local keep = r + window_ms + valid_ms + DAY - now
    for _, k in ipairs({'t', 'e', 'm'}) do redis.call('PEXPIRE', base .. k, keep) end
    created = 1
  end
  local state = ticket_state(cfg, r, base, account, record)
  return {'ok', r, created, state[1], state[2], state[3], state[4], state[5]}
end

local r = tonumber(ARGV[8])
local base = base_of .. r .. ':'
if op == 'status' then
  if cfg.en ~= '1' or now >= r + window_ms or untrusted(cfg, r) then return {'open', r} end
  local record = redis.call('HGET', base .. 't', account)
  if not record then return {'none'} end
  local state = ticket_state(cfg, r, base, account, record)
  return {'ok', r, 0, state[1], state[2], state[3], state[4], state[5]}
end

if op == 'gate' then
  -- only the sessions this room releases (a session announced under an earlier release time
  -- keeps that time), only during the window
  if cfg.en ~= '1' or now < r or now >= r + window_ms then return {'pass'} end
  if (r + OFFSET) % DAY ~= release_min * 60000 then return {'pass'} end
  if untrusted(cfg, r) then return {'open', r} end
  local record = redis.call('HGET', base .. 't', account)
  if not record then return {'deny', -1, admitted(cfg, r), 'none', -1, cfg.rate} end
  local state = ticket_state(cfg, r, base, account, record)
  if state[3] == 'admitted' then return {'pass'} end
  return {'deny', state[1], state[2], state[3], state[4], state[5]}
end
return redis.error_reply('unknown op ' .. tostring(op))
