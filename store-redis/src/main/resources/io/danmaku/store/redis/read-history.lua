-- Reads a room's stream position and a range of its history in one step (consistent with each other).
-- KEYS[1] = dm:{room}:hist, KEYS[2] = dm:{room}:meta
-- ARGV[1] = lowest entry id ('-' for none), ARGV[2] = highest entry id ('+' for none), both inclusive,
-- ARGV[3] = at most this many records (0: position only), ARGV[4] = '1' for newest first
-- Returns {} for a room without history, else {epoch, top, floor, then offset, time, payload per record}.
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'top', 'floor')
if not meta[1] then
  return {}
end
local out = {meta[1], meta[2] or '0', meta[3] or '0'}
local count = tonumber(ARGV[3])
if count > 0 then
  local entries
  if ARGV[4] == '1' then
    entries = redis.call('XREVRANGE', KEYS[1], ARGV[2], ARGV[1], 'COUNT', count)
  else
    entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', count)
  end
  for _, entry in ipairs(entries) do
    local time, payload = '0', ''
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 't' then
        time = fields[i + 1]
      elseif fields[i] == 'p' then
        payload = fields[i + 1]
      end
    end
    out[#out + 1] = string.match(entry[1], '^(%d+)-')
    out[#out + 1] = time
    out[#out + 1] = payload
  end
end
return out
