-- Removes a room's stored records and keeps its position: the floor moves up to the top offset.
-- KEYS[1] = dm:{room}:hist (stream), KEYS[2] = dm:{room}:meta (hash: epoch, top, floor)
local top = redis.call('HGET', KEYS[2], 'top')
redis.call('DEL', KEYS[1])
if top then
  redis.call('HSET', KEYS[2], 'floor', top)
end
return 0
