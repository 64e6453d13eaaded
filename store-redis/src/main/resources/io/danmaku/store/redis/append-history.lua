-- Appends records to a room's history, idempotently, and trims it exactly to its capacity.
-- KEYS[1] = dm:{room}:hist (stream), KEYS[2] = dm:{room}:meta (hash: epoch, top, floor)
-- ARGV[1] = capacity, ARGV[2] = retention in ms,
-- then 4 per record, ascending offsets: epoch, offset, time in ms, payload
-- Returns the number of records added (0 for a replay).
local capacity = tonumber(ARGV[1])
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'top', 'floor')
local epoch, top, floor = meta[1], meta[2], meta[3] or '0'
if top and redis.call('EXISTS', KEYS[1]) == 0 then
  -- The stream is gone (evicted) while its metadata is not: nothing up to top is retained any more.
  floor = top
end
local added = 0
local restarted = false
for i = 3, #ARGV, 4 do
  local recordEpoch, offset = ARGV[i], ARGV[i + 1]
  if recordEpoch ~= epoch then
    -- Another incarnation of the stream: the room's history starts anew.
    redis.call('DEL', KEYS[1])
    epoch, top, floor = recordEpoch, false, '0'
    restarted = true
  end
  if not top or tonumber(offset) > tonumber(top) then
    redis.call('XADD', KEYS[1], offset .. '-1', 't', ARGV[i + 2], 'p', ARGV[i + 3])
    top = offset
    added = added + 1
  end
end
if added == 0 and not restarted then
  return 0
end
local excess = redis.call('XLEN', KEYS[1]) - capacity
if excess > 0 then
  local trimmed = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)
  floor = string.match(trimmed[#trimmed][1], '^(%d+)-')
  redis.call('XTRIM', KEYS[1], 'MAXLEN', capacity)
end
redis.call('HSET', KEYS[2], 'epoch', epoch, 'top', top, 'floor', floor)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return added
