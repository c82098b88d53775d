-- A terminal request's nonce, remembered (refused if seen within its TTL), and the generation of
-- the terminals (bumped whenever one is disabled, enabled or rotated), in one call: workers keep
-- terminals in memory and reload one as soon as the generation they loaded it at is past.
-- ARGV: 1 prefix, 2 nonce ttl seconds, then for each request 2 values: terminal_id, nonce
-- Returns one {fresh (1|0), generation} per request.
local P, ttl = ARGV[1], tonumber(ARGV[2])
local gen = tonumber(redis.call('GET', P .. 'tgen') or '0')
local out = {}
for i = 3, #ARGV, 2 do
  local fresh = redis.call('SET', P .. 'tn:' .. ARGV[i] .. ':' .. ARGV[i + 1], 1, 'NX', 'EX', ttl) and 1 or 0
  out[#out + 1] = {fresh, gen}
end
return out
