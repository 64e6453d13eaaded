-- The reports of the nodes whose entry has not expired: {report JSON, ...}.
-- KEYS[1] = dm:nodes (hash: node id -> '<expiresAtMillis>|<report JSON>')
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local entries = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #entries, 2 do
  local expiresAt, report = string.match(entries[i + 1], '^(%d+)|(.*)$')
  if expiresAt and tonumber(expiresAt) > now then
    out[#out + 1] = report
  end
end
return out
