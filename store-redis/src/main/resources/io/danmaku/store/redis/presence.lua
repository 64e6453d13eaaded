-- A room's presence: for every gateway with a live online count, its count and its live presence entry.
-- KEYS[1] = dm:{room}:online (hash: gateway -> '<count>:<expiresAtMillis>')
-- KEYS[2] = dm:{room}:presence (hash: gateway -> '<expiresAtMillis>|<users>|<members JSON or ->')
-- Returns {gateway, count, users or '', members or '', ...}: users '' when the gateway has no live entry.
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local online = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #online, 2 do
  local count, expiresAt = string.match(online[i + 1], '^(%d+):(%d+)$')
  if count and tonumber(expiresAt) > now then
    local users, members = '', ''
    local entry = redis.call('HGET', KEYS[2], online[i])
    if entry then
      local at, u, m = string.match(entry, '^(%d+)|(%d+)|(.*)$')
      if at and tonumber(at) > now then
        users, members = u, m
      end
    end
    out[#out + 1] = online[i]
    out[#out + 1] = count
    out[#out + 1] = users
    out[#out + 1] = members
  end
end
return out
