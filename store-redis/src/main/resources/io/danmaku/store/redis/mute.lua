-- Mutes a user in a room until now + duration (server time).
-- KEYS[1] = dm:{room}:mutes (hash: user -> expiresAtMillis)
-- ARGV[1] = user id, ARGV[2] = duration in ms
-- Expired entries are removed on the way; the hash itself expires with its longest mute.
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  if tonumber(entries[i + 1]) <= now then
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
local duration = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', now + duration))
if redis.call('PTTL', KEYS[1]) < duration then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
