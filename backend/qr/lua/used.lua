#!lua
-- Has a dynamic code been spent already? (A peek: spending is SET NX in qr/service.py.)
-- Batched: KEYS holds one used-code key per request; returns one 0/1 per request.
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('EXISTS', KEYS[i])
end
return out
