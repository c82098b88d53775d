#!lua
-- A terminal request's nonce, remembered (refused if seen within its TTL), and the generation of
-- the terminals (bumped whenever one is disabled, enabled or rotated), in one call: workers keep
-- terminals in memory and reload one as soon as the generation they loaded it at is past.
-- The generation and the nonces share one hash tag ({t}), so this stays one call on a cluster.
-- KEYS: 1 the generation, then one nonce key per request
-- ARGV: 1 nonce ttl seconds
-- Returns one {fresh (1|0), generation} per request.
local ttl = tonumber(ARGV[1])
local gen = tonumber(redis.call('GET', KEYS[1]) or '0')
local out = {}
for i = 2, #KEYS do
  local fresh = redis.call('SET', KEYS[i], 1, 'NX', 'EX', ttl) and 1 or 0
  out[#out + 1] = {fresh, gen}
end
return out
