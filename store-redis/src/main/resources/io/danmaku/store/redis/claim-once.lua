-- Claims a once-key: its current value if it exists (a pending marker "P", or "D" followed by the stored result),
-- else sets the pending marker with the TTL and returns nil (the caller owns the claim).
-- KEYS[1] = dm:once:{key}, ARGV[1] = TTL in milliseconds
local value = redis.call('GET', KEYS[1])
if value then
  return value
end
redis.call('SET', KEYS[1], 'P', 'PX', ARGV[1])
return false
