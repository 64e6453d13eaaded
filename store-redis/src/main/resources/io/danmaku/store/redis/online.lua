-- Sums a room's online counts over the gateways whose entries have not expired; removes expired entries.
-- KEYS[1] = dm:{room}:online (hash: gateway -> '<count>:<expiresAtMillis>')
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local entries = redis.call('HGETALL', KEYS[1])
local sum = 0
for i = 1, #entries, 2 do
  local count, expiresAt = string.match(entries[i + 1], '^(%d+):(%d+)$')
  if count and tonumber(expiresAt) > now then
    sum = sum + tonumber(count)
  else
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
return sum
