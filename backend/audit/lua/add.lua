#!lua
-- Append scan audit rows to the audit stream, a batch of them (the scans that arrived
-- together) in one call. The row is safe once this returns: the stream keeps it until the
-- drain job has written it to the database and acknowledged it.
-- KEYS: 1 the stream
-- ARGV: for each row 6 values: terminal_id, hospital_id, card_pk ('' if none), action, result, at_ms
-- Returns one stream id per row.
local out = {}
for i = 1, #ARGV, 6 do
  out[#out + 1] = redis.call('XADD', KEYS[1], '*', 't', ARGV[i], 'h', ARGV[i + 1], 'c', ARGV[i + 2],
    'a', ARGV[i + 3], 'r', ARGV[i + 4], 'at', ARGV[i + 5])
end
return out
