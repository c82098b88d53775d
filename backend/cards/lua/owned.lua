#!lua
-- Is the card the account's own or a linked member's? The account's card set ({a<id>}:cards,
-- card_id -> "pk|status", written by cards/service.py), for the paths that run in steps on a
-- Redis Cluster.
-- Batched: for each request one key (the account's card set) and one value (the card id).
-- Returns one reply per request: {'ok', card_pk, status} | {'err', 'card_not_found'} | {'miss', 'cards'}
local out = {}
for i = 1, #KEYS do
  local card_id = ARGV[i]
  local card = redis.call('HGET', KEYS[i], card_id)
  if card and card_id ~= '_' then
    local bar = string.find(card, '|', 1, true)
    out[i] = {'ok', string.sub(card, 1, bar - 1), string.sub(card, bar + 1)}
  elseif redis.call('EXISTS', KEYS[i]) == 0 then
    out[i] = {'miss', 'cards'}
  else
    out[i] = {'err', 'card_not_found'}
  end
end
return out
