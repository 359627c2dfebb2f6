/**
 * @module redis/scripts
 * The Lua scripts that make the transport's multi-step operations atomic on the server. They run
 * with `EVAL` (a script is small, and a restarted server has no script cache to miss).
 */

/**
 * Publish: append the message to its partition stream of every service bound to its type (or to every
 * type). KEYS: the type's binding set, the `*` binding set. ARGV: key prefix (`{p}`), partition, type,
 * message id, body. Returns how many services got it.
 */
export const PUBLISH = `
local services = redis.call('SUNION', KEYS[1], KEYS[2])
for _, service in ipairs(services) do
  redis.call('XADD', ARGV[1] .. ':' .. service .. ':p' .. ARGV[2], '*', 'type', ARGV[3], 'id', ARGV[4], 'body', ARGV[5])
end
return #services
`;

/**
 * Heartbeat: record this member at the server's time, forget members silent for longer than the TTL,
 * return the live ones. KEYS: members set. ARGV: member, TTL in ms. The server's clock, so that members
 * on hosts whose clocks disagree still agree on who is alive.
 */
export const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

/**
 * Take a lease: free, or still this member's own (it stopped reading the partition when the lease
 * looked about to lapse, and nobody took it since). KEYS: owner key. ARGV: member, lease ms. 1 if taken.
 */
export const ACQUIRE = `
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if owner then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** Renew a lease this member holds. KEYS: owner key. ARGV: member, lease ms. 1 if renewed. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Release a lease this member holds. KEYS: owner key. ARGV: member. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
