// Lua scripts: each runs atomically on the Redis server and takes time from the server's clock
// (redis.call('TIME')), so instances with skewed clocks agree on windows, buckets and leases.

const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] bucket; ARGV rate/s, burst, cost. Returns {allowed 0|1, retryAfterMs}. */
export const TAKE_TOKEN = `${NOW}
local rate = tonumber(ARGV[1]); local burst = tonumber(ARGV[2]); local cost = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (math.max(0, now - at) * rate / 1000))
local allowed = 0
local retry = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 else retry = math.ceil((cost - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, retry}`;

/** KEYS[1] window counter; ARGV windowMs, by. Returns {count, pttl}. */
export const INCR_WINDOW = `
local c = redis.call('INCRBY', KEYS[1], tonumber(ARGV[2]))
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1])); ttl = tonumber(ARGV[1]) end
return {c, ttl}`;

/** KEYS[1] lease zset; ARGV holder, limit, ttlMs. Returns 1 when held. */
export const ACQUIRE_LEASE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ttl = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  local keep = redis.call('PTTL', KEYS[1])
  if keep < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
  return 1
end
return 0`;

/** KEYS[1] lease zset; ARGV holder, ttlMs. Returns 1 when the lease existed and was extended. */
export const RENEW_LEASE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`;

/** KEYS[1] lease zset. Returns the number of live leases. */
export const COUNT_LEASES = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`;

/** KEYS[1] hash; ARGV field, value, ttlMs. Returns the number of fields. */
export const HASH_PUT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return redis.call('HLEN', KEYS[1])`;

/** KEYS[1] lock; ARGV owner, ttlMs. */
export const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 0`;

export const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
