--[[ appendAuditEvents-1.lua: XADD each event to the audit stream, capped.
  One round trip and one client command per batch instead of one XADD each: the client-side cost
  of a command dominates (measured: 15 -> 4 µs per event, src/audit/README.md "Performance").
  KEYS[1]  STREAM  the audit stream
  ARGV[1]  maxlen (approximate: MAXLEN ~)
  ARGV[2..n]  event JSON, one entry each (field "e")
  Output: the number of entries added
]]
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i])
end
return #ARGV - 1
