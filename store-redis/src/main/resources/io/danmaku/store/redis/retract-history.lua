-- Removes the records of a room's history whose message id is one of ARGV, keeping the position (epoch, top and
-- floor in the meta hash stay: removing a record leaves no hole a client could see as missing history).
-- KEYS[1] = dm:{room}:hist (stream), KEYS[2] = dm:{room}:meta
-- ARGV = the message ids; a record's id is the "id" its payload starts with ({"id":"...",...}).
-- Returns the number of records removed.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local wanted = {}
for i = 1, #ARGV do
  wanted[ARGV[i]] = true
end
local removed = 0
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'p' then
      local id = string.match(fields[i + 1], '^{"id":"([^"\\]*)"')
      if id and wanted[id] then
        removed = removed + redis.call('XDEL', KEYS[1], entry[1])
      end
    end
  end
end
return removed
