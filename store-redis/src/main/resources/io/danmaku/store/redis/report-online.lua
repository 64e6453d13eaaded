-- Sets (or, for a count of 0, removes) one gateway's online count in a room, expiring after a TTL.
-- KEYS[1] = dm:{room}:online (hash: gateway -> '<count>:<expiresAtMillis>')
-- ARGV[1] = gateway id, ARGV[2] = count, ARGV[3] = TTL in ms
-- Expired entries are removed on the way; the hash itself expires with its longest-lived entry.
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local expiresAt = tonumber(string.match(entries[i + 1], ':(%d+)$'))
  if not expiresAt or expiresAt <= now then
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  local ttl = tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. string.format('%.0f', now + ttl))
  if redis.call('PTTL', KEYS[1]) < ttl then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
  end
end
return 0
