-- For each user in ARGV: 1 if muted in the room now (server time), else 0, in the order of ARGV. Expired
-- mutes are removed on the way. The batch form of muted.lua: one call per room for a batch of posts.
-- KEYS[1] = dm:{room}:mutes (hash: user -> expiresAtMillis), ARGV = user ids
local expiries = redis.call('HMGET', KEYS[1], unpack(ARGV))
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local muted = {}
for i = 1, #ARGV do
  local expiresAt = expiries[i]
  if expiresAt and tonumber(expiresAt) > now then
    muted[i] = 1
  else
    muted[i] = 0
    if expiresAt then
      redis.call('HDEL', KEYS[1], ARGV[i])
    end
  end
end
return muted
