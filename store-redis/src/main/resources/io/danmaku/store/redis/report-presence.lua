-- Sets (or, for 0 clients, removes) one gateway's presence in a room, expiring after a TTL.
-- KEYS[1] = dm:{room}:presence (hash: gateway -> '<expiresAtMillis>|<users>|<members JSON, or - when not listed>')
-- ARGV[1] = gateway id, ARGV[2] = clients, ARGV[3] = users, ARGV[4] = members JSON or '-', ARGV[5] = TTL in ms
-- Expired entries are removed on the way; the hash itself expires with its longest-lived entry.
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local expiresAt = tonumber(string.match(entries[i + 1], '^(%d+)|'))
  if not expiresAt or expiresAt <= now then
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  local ttl = tonumber(ARGV[5])
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', now + ttl) .. '|' .. ARGV[3] .. '|' .. ARGV[4])
  if redis.call('PTTL', KEYS[1]) < ttl then
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
  end
end
return 0
