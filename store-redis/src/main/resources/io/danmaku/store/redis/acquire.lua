-- Takes one token from a rate-limit bucket (GCRA: a token bucket kept as one timestamp), on server time.
-- KEYS[1] = dm:rl:{bucket} (string: theoretical arrival time in microseconds; absent = full bucket)
-- ARGV[1] = burst, ARGV[2] = microseconds per token (1e6 / tokens per second)
-- Returns {1, 0} when allowed, {0, retryAfterMillis} when refused. The key expires once the bucket is full.
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000000 + tonumber(now[2])
local burst = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local allowedAt = tat + interval - burst * interval
if now < allowedAt then
  return {0, math.max(1, math.ceil((allowedAt - now) / 1000))}
end
local nextTat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', nextTat),
    'PX', string.format('%.0f', math.max(1, math.ceil((nextTat - now) / 1000))))
return {1, 0}
