#!lua
-- A hold in steps (Redis Cluster): a request that found its card 'present' in the card's
-- per-day sets (card_hold.lua) and was then granted the slot makes the entry last as long as
-- its own hold: the score only ever rises here, so an entry is never shortened.
-- KEYS: 1 {c<pk>}:cd:<date>, 2 {c<pk>}:cdd:<date>:<dept>.  ARGV: 1 schedule_id, 2 expires_ms
for i = 1, 2 do redis.call('ZADD', KEYS[i], 'GT', ARGV[2], ARGV[1]) end
return 1
