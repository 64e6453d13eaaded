-- Takes up to ARGV[3] tokens at once from a rate-limit bucket: the same GCRA bucket (key and state) as
-- acquire.lua, on server time, so leases and single acquisitions draw from one limit.
-- KEYS[1] = dm:rl:{bucket} (string: theoretical arrival time in microseconds; absent = full bucket)
-- ARGV[1] = burst, ARGV[2] = microseconds per token (1e6 / tokens per second), ARGV[3] = tokens wanted (>= 1)
-- Returns {granted, 0} with 1 <= granted <= wanted (as many as the bucket holds), or {0, retryAfterMillis}
-- when it holds none. Granting n tokens is n acquisitions in a row: the arrival time moves by n intervals.
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000000 + tonumber(now[2])
local burst = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
-- acquire.lua allows one token when now >= tat + interval - burst * interval; n tokens in a row are allowed
-- when now >= tat + n * interval - burst * interval. The largest such n, checked with the same comparison so
-- that rounding never grants a token acquire would refuse.
local granted = math.min(wanted, math.floor((now - tat) / interval + burst))
if granted > 0 and now < tat + granted * interval - burst * interval then
  granted = granted - 1
end
if granted < 1 then
  local allowedAt = tat + interval - burst * interval
  return {0, math.max(1, math.ceil((allowedAt - now) / 1000))}
end
local nextTat = tat + granted * interval
redis.call('SET', KEYS[1], string.format('%.0f', nextTat),
    'PX', string.format('%.0f', math.max(1, math.ceil((nextTat - now) / 1000))))
return {granted, 0}
