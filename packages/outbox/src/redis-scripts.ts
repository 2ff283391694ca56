/**
 * The Redis store's state changes, one Lua script each, so every change is atomic on the server
 * (no lost update between two workers, nothing half-done when a worker dies mid-call). Scripts
 * never parse JSON: a record is a hash of plain fields, JSON values (last error, result) are
 * stored as given, and the attempt history is a list of JSON strings.
 *
 * Keys under the prefix P:
 *   m:<id>          the record (hash)                 h:<id>          attempt history (list of JSON)
 *   seq             enqueue counter                   idem:<a>:<key>  idempotency key → id
 *   all, all:<a>    every id by seq                   pending:<a>     ids not yet sent/failed/cancelled
 *   q:<a>           due ids of account a, by seq      delayed         ids due later, by notBefore
 *   active          accounts with due ids, by head    leases          leased ids, by lease expiry
 *   held:<a>        held ids of a, by seq             acct:<a>        hash: hold (JSON), pausedUntil
 *   paused          paused accounts, by pause end     counts:<a>      hash: state → count
 *   sends:<a>       sends of the last 24 h (limits)
 */

const HELPERS = `
local P = ARGV[1]
local function key(id) return P .. 'm:' .. id end
local function field(id, f) return redis.call('HGET', key(id), f) end
local function num(id, f) return tonumber(field(id, f) or '0') end
local function setState(id, a, state)
  local old = field(id, 'state')
  if old then redis.call('HINCRBY', P .. 'counts:' .. a, old, -1) end
  redis.call('HINCRBY', P .. 'counts:' .. a, state, 1)
  redis.call('HSET', key(id), 'state', state)
end
local function isHeld(a) return redis.call('HEXISTS', P .. 'acct:' .. a, 'hold') == 1 end
local function pausedUntil(a) return tonumber(redis.call('HGET', P .. 'acct:' .. a, 'pausedUntil') or '0') end
local function refreshActive(a, now)
  local head = redis.call('ZRANGE', P .. 'q:' .. a, 0, 0, 'WITHSCORES')
  if #head == 0 or isHeld(a) or pausedUntil(a) > now then
    redis.call('ZREM', P .. 'active', a)
  else
    redis.call('ZADD', P .. 'active', head[2], a)
  end
end
local function placeDue(id, a, now)
  local notBefore = num(id, 'notBefore')
  if notBefore > now then
    redis.call('ZADD', P .. 'delayed', notBefore, id)
  else
    redis.call('ZREM', P .. 'delayed', id)
    redis.call('ZADD', P .. 'q:' .. a, num(id, 'seq'), id)
    refreshActive(a, now)
  end
end
local function hold(id, a)
  setState(id, a, 'held')
  redis.call('ZADD', P .. 'held:' .. a, num(id, 'seq'), id)
end
local function unlease(id)
  redis.call('ZREM', P .. 'leases', id)
  redis.call('HDEL', key(id), 'leaseOwner', 'leasedAt', 'leaseExpiresAt')
end
`;

const script = (body: string) => `${HELPERS}\n${body}`;

/**
 * ARGV: P, now, id, accountId, idempotency key or '', enqueuedAt, then field/value pairs.
 * Returns { id, created }.
 */
export const ADD = script(`
local now = tonumber(ARGV[2])
local id = ARGV[3]
local a = ARGV[4]
local idem = ARGV[5]
local enqueuedAt = tonumber(ARGV[6])
if idem ~= '' then
  local existing = redis.call('GET', P .. 'idem:' .. a .. ':' .. idem)
  if existing then return { existing, 0 } end
  redis.call('SET', P .. 'idem:' .. a .. ':' .. idem, id)
end
local seq = redis.call('INCR', P .. 'seq')
for i = 7, #ARGV, 2 do redis.call('HSET', key(id), ARGV[i], ARGV[i + 1]) end
redis.call('HSET', key(id), 'seq', seq, 'attempts', 0, 'windowStart', enqueuedAt,
  'notBefore', math.max(enqueuedAt, pausedUntil(a)))
redis.call('ZADD', P .. 'all', seq, id)
redis.call('ZADD', P .. 'all:' .. a, seq, id)
redis.call('ZADD', P .. 'pending:' .. a, seq, id)
if isHeld(a) then
  hold(id, a)
else
  setState(id, a, 'queued')
  placeDue(id, a, now)
end
return { id, 1 }
`);

/**
 * ARGV: P, now, owner, leaseMs, limit, perAccount, busy as "account count" lines, interrupted
 * attempt hint. Returns the leased ids.
 */
export const CLAIM = script(`
local now = tonumber(ARGV[2])
local owner = ARGV[3]
local leaseMs = tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
local perAccount = tonumber(ARGV[6])
local busy = {}
for a, n in string.gmatch(ARGV[7], '([^\\n]+) (%d+)') do busy[a] = tonumber(n) end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, 1000)) do
  redis.call('ZREM', P .. 'delayed', id)
  local state = field(id, 'state')
  if state == 'queued' or state == 'deferred' then placeDue(id, field(id, 'accountId'), now) end
end
for _, a in ipairs(redis.call('ZRANGEBYSCORE', P .. 'paused', '-inf', now)) do
  redis.call('ZREM', P .. 'paused', a)
  redis.call('HDEL', P .. 'acct:' .. a, 'pausedUntil')
  refreshActive(a, now)
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now, 'LIMIT', 0, 1000)) do
  if field(id, 'state') == 'sending' then
    local a = field(id, 'accountId')
    redis.call('RPUSH', P .. 'h:' .. id, cjson.encode({ at = num(id, 'leasedAt'), endedAt = now,
      outcome = 'interrupted', worker = field(id, 'leaseOwner') or 'unknown',
      code = 'OUTBOX_LEASE_EXPIRED', hint = ARGV[8] }))
    unlease(id)
    if isHeld(a) then
      hold(id, a)
    else
      setState(id, a, 'deferred')
      redis.call('HSET', key(id), 'notBefore', now)
      placeDue(id, a, now)
    end
  else
    redis.call('ZREM', P .. 'leases', id)
  end
end
local taken = {}
local got = {}
-- Always the account whose next message is oldest: a merge of the per-account queues by seq.
while #taken < limit do
  local picked = nil
  for _, a in ipairs(redis.call('ZRANGE', P .. 'active', 0, -1)) do
    if (busy[a] or 0) + (got[a] or 0) < perAccount then
      picked = a
      break
    end
  end
  if not picked then break end
  local id = redis.call('ZRANGE', P .. 'q:' .. picked, 0, 0)[1]
  if id then
    redis.call('ZREM', P .. 'q:' .. picked, id)
    local state = field(id, 'state')
    if state == 'queued' or state == 'deferred' then
      setState(id, picked, 'sending')
      redis.call('HSET', key(id), 'leaseOwner', owner, 'leasedAt', now, 'leaseExpiresAt', now + leaseMs)
      redis.call('HINCRBY', key(id), 'attempts', 1)
      redis.call('ZADD', P .. 'leases', now + leaseMs, id)
      table.insert(taken, id)
      got[picked] = (got[picked] or 0) + 1
    end
  end
  refreshActive(picked, now)
end
return taken
`);

/** ARGV: P, id, owner, expiresAt. Returns 1 when extended. */
export const EXTEND = script(`
local id = ARGV[2]
if field(id, 'state') ~= 'sending' or field(id, 'leaseOwner') ~= ARGV[3] then return 0 end
redis.call('HSET', key(id), 'leaseExpiresAt', ARGV[4])
redis.call('ZADD', P .. 'leases', ARGV[4], id)
return 1
`);

/**
 * ARGV: P, id, owner, now, state, attempt JSON, error JSON or '', notBefore, countsAsAttempt
 * ('1'/'0'), sentAt, result JSON or '', hold JSON or ''. Returns 1 when recorded.
 */
export const SETTLE = script(`
local id = ARGV[2]
if field(id, 'state') ~= 'sending' or field(id, 'leaseOwner') ~= ARGV[3] then return 0 end
local now = tonumber(ARGV[4])
local state = ARGV[5]
local a = field(id, 'accountId')
unlease(id)
redis.call('RPUSH', P .. 'h:' .. id, ARGV[6])
if ARGV[7] ~= '' then redis.call('HSET', key(id), 'lastError', ARGV[7]) end
if state == 'sent' then
  setState(id, a, 'sent')
  redis.call('HSET', key(id), 'sentAt', ARGV[10], 'result', ARGV[11])
  redis.call('ZREM', P .. 'pending:' .. a, id)
elseif state == 'failed' then
  setState(id, a, 'failed')
  redis.call('ZREM', P .. 'pending:' .. a, id)
elseif state == 'held' then
  redis.call('HSETNX', P .. 'acct:' .. a, 'hold', ARGV[12])
  hold(id, a)
  for _, other in ipairs(redis.call('ZRANGE', P .. 'pending:' .. a, 0, -1)) do
    local s = field(other, 'state')
    if s == 'queued' or s == 'deferred' then
      redis.call('ZREM', P .. 'q:' .. a, other)
      redis.call('ZREM', P .. 'delayed', other)
      hold(other, a)
    end
  end
  redis.call('ZREM', P .. 'active', a)
else
  if ARGV[9] == '0' then
    redis.call('HSET', key(id), 'attempts', math.max(0, num(id, 'attempts') - 1))
  end
  redis.call('HSET', key(id), 'notBefore', math.max(tonumber(ARGV[8]), pausedUntil(a)))
  if isHeld(a) then
    hold(id, a)
  else
    setState(id, a, 'deferred')
    placeDue(id, a, now)
  end
end
return 1
`);

/** ARGV: P, account, now. Returns how many messages were released. */
export const RELEASE = script(`
local a = ARGV[2]
local now = tonumber(ARGV[3])
redis.call('HDEL', P .. 'acct:' .. a, 'hold')
local count = 0
for _, id in ipairs(redis.call('ZRANGE', P .. 'held:' .. a, 0, -1)) do
  if field(id, 'state') == 'held' then
    setState(id, a, 'queued')
    redis.call('HSET', key(id), 'notBefore', math.max(now, pausedUntil(a)))
    placeDue(id, a, now)
    count = count + 1
  end
end
redis.call('DEL', P .. 'held:' .. a)
refreshActive(a, now)
return count
`);

/** ARGV: P, account, until. */
export const PAUSE = script(`
local a = ARGV[2]
local untilMs = tonumber(ARGV[3])
if untilMs > pausedUntil(a) then
  redis.call('HSET', P .. 'acct:' .. a, 'pausedUntil', untilMs)
  redis.call('ZADD', P .. 'paused', untilMs, a)
end
redis.call('ZREM', P .. 'active', a)
return 1
`);

/** ARGV: P, id, now, 'retry' | 'cancel'. Returns ok | unknown | busy | sent | cancelled. */
export const HOST_ACTION = script(`
local id = ARGV[2]
local now = tonumber(ARGV[3])
local state = field(id, 'state')
if not state then return 'unknown' end
if state == 'sent' then return 'sent' end
if state == 'sending' then return 'busy' end
if ARGV[4] == 'cancel' and state == 'cancelled' then return 'cancelled' end
local a = field(id, 'accountId')
redis.call('ZREM', P .. 'q:' .. a, id)
redis.call('ZREM', P .. 'delayed', id)
redis.call('ZREM', P .. 'held:' .. a, id)
if ARGV[4] == 'cancel' then
  setState(id, a, 'cancelled')
  redis.call('ZREM', P .. 'pending:' .. a, id)
else
  redis.call('ZADD', P .. 'pending:' .. a, num(id, 'seq'), id)
  redis.call('HSET', key(id), 'attempts', 0, 'windowStart', now)
  if isHeld(a) then
    hold(id, a)
  else
    setState(id, a, 'queued')
    redis.call('HSET', key(id), 'notBefore', math.max(now, pausedUntil(a)))
    placeDue(id, a, now)
  end
end
refreshActive(a, now)
return 'ok'
`);

/**
 * ARGV: P, account, now, recipients, member, messagesPerMinute, messagesPerDay, recipientsPerDay
 * ('' = no limit). The same rule as store-rules.ts `slotDecision`. Returns { 1 } or { 0, retryAt }.
 */
export const TAKE_SLOT = script(`
local a = ARGV[2]
local now = tonumber(ARGV[3])
local recipients = tonumber(ARGV[4])
local perMinute = tonumber(ARGV[6])
local perDay = tonumber(ARGV[7])
local recipientsPerDay = tonumber(ARGV[8])
local sendsKey = P .. 'sends:' .. a
redis.call('ZREMRANGEBYSCORE', sendsKey, '-inf', now - 86400000)
local rows = redis.call('ZRANGE', sendsKey, 0, -1, 'WITHSCORES')
local sends = {}
for i = 1, #rows, 2 do
  table.insert(sends, { at = tonumber(rows[i + 1]), recipients = tonumber(string.match(rows[i], '^(%d+)|')) })
end
local retryAt = 0
if perMinute then
  local inMinute = {}
  for _, s in ipairs(sends) do if s.at > now - 60000 then table.insert(inMinute, s) end end
  if #inMinute >= perMinute then
    retryAt = math.max(retryAt, inMinute[#inMinute - perMinute + 1].at + 60000)
  end
end
if perDay and #sends >= perDay then
  retryAt = math.max(retryAt, sends[#sends - perDay + 1].at + 86400000)
end
if recipientsPerDay then
  local total = 0
  for _, s in ipairs(sends) do total = total + s.recipients end
  local needed = math.min(recipients, recipientsPerDay)
  for _, s in ipairs(sends) do
    if total + needed <= recipientsPerDay then break end
    total = total - s.recipients
    retryAt = math.max(retryAt, s.at + 86400000)
  end
end
if retryAt > now then return { 0, retryAt } end
redis.call('ZADD', sendsKey, now, ARGV[5])
redis.call('PEXPIRE', sendsKey, 90000000)
return { 1 }
`);
