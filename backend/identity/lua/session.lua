#!lua
-- The account a bearer token's session names, for the paths that run in steps on a Redis
-- Cluster (the hold and the code fetch; on one Redis they read it inside their fused script).
-- Batched: for each request one key (its session, tok:<hash>) and one value (its now_ms).
-- Returns one reply per request: {'ok', account_id} | {'miss', 'token'} | {'err', 'token_expired'}
local out = {}
for i = 1, #KEYS do
  local now = tonumber(ARGV[i])
  local tok = redis.call('HMGET', KEYS[i], 'a', 'e')
  if not tok[1] then
    out[i] = {'miss', 'token'}
  elseif tonumber(tok[2]) <= now then
    out[i] = {'err', 'token_expired'}
  else
    out[i] = {'ok', tok[1]}
  end
end
return out
