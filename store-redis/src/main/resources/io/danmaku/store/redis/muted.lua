-- 1 if the user is muted in the room now (server time), else 0; an expired mute is removed.
-- KEYS[1] = dm:{room}:mutes (hash: user -> expiresAtMillis), ARGV[1] = user id
local expiresAt = redis.call('HGET', KEYS[1], ARGV[1])
if not expiresAt then
  return 0
end
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if tonumber(expiresAt) > now then
  return 1
end
redis.call('HDEL', KEYS[1], ARGV[1])
return 0
