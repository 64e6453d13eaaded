-- Records one node's report, expiring after a TTL; expired reports are removed on the way.
-- KEYS[1] = dm:nodes (hash: node id -> '<expiresAtMillis>|<report JSON>')
-- ARGV[1] = node id, ARGV[2] = report JSON, ARGV[3] = TTL in ms
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local expiresAt = tonumber(string.match(entries[i + 1], '^(%d+)|'))
  if not expiresAt or expiresAt <= now then
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', now + tonumber(ARGV[3])) .. '|' .. ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 0
