-- May this session show this card's code? The resident's every-minute refresh at the clinic:
-- the session the bearer token names and the account's card set, in one call, no database.
-- Same keys as booking/lua/hold.lua (tok:<hash>, {a<id>}:cards), built here: like hold.lua this
-- fused script runs on a single Redis only (or the embedded store); on a cluster the session
-- and the cards live in different slots and qr/service.py reads them in two calls instead.
--
-- One call carries a batch (the requests that arrived together), each decided on its own.
-- ARGV: 1 prefix, then for each request 3 values: now_ms, token_hash, card_id
-- Returns one reply per request: {'ok', card_pk, status} | {'err', code} | {'miss', what[, account]}
local P = ARGV[1]
local out = {}
for i = 2, #ARGV, 3 do
  local now, token_hash, card_id = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2]
  local reply
  local tok = redis.call('HMGET', P .. 'tok:' .. token_hash, 'a', 'e')
  if not tok[1] then
    reply = {'miss', 'token'}
  elseif tonumber(tok[2]) <= now then
    reply = {'err', 'token_expired'}
  else
    local owned = P .. '{a' .. tok[1] .. '}:cards'
    local card = redis.call('HGET', owned, card_id)
    if card and card_id ~= '_' then
      local bar = string.find(card, '|', 1, true)
      reply = {'ok', string.sub(card, 1, bar - 1), string.sub(card, bar + 1)}
    elseif redis.call('EXISTS', owned) == 0 then
      reply = {'miss', 'cards', tok[1]}
    else
      reply = {'err', 'card_not_found'}
    end
  end
  out[#out + 1] = reply
end
return out
