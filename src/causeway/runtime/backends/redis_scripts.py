"""The Lua scripts of the Redis backend: each claim, settle or relay step is one atomic call.

Keys of one topic share a hash tag, so every script touches one slot. Per (topic, bucket)
there is a stream; per topic a `groups` hash (the groups whose consumer groups exist, which
also tells a Redis that lost its data from one that never had it) and a `sent` sorted set
(message ids forwarded within the deduplication window); per (topic, group) a `holds` hash.

A hold is the one entry of a bucket a group has claimed and not finished, as
"<until ms> <entry id> <token>": leased to the claim with that token until `until`, or,
with an empty token, waiting for a retry's delay (or given back) until `until`. A bucket
with a hold hands out nothing else, which keeps its order. Times are the server's (TIME),
so every process measures leases on one clock.
"""

from __future__ import annotations

_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function hold_value(untl, id, token)
  return string.format('%d', untl) .. ' ' .. id .. ' ' .. token
end

local function parse_hold(hold)
  local untl, id, token = string.match(hold, '^(%d+) (%S+) ?(%S*)$')
  return tonumber(untl), id, token
end

local function as_map(flat)
  local map = {}
  for i = 1, #flat, 2 do map[flat[i]] = flat[i + 1] end
  return map
end

local function give_back(holds, stream, group, consumer, bucket, id)
  -- Due again at once, and its next delivery counts as this one did.
  local pending = redis.call('XPENDING', stream, group, id, id, 1)
  if #pending > 0 then
    redis.call('XCLAIM', stream, group, consumer, 0, id,
      'RETRYCOUNT', math.max(pending[1][4] - 1, 0), 'JUSTID')
  end
  redis.call('HSET', holds, bucket, hold_value(0, id, ''))
end

local function id_ms(id)
  return tonumber(string.match(id, '^(%d+)-'))
end

local function id_less(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
"""

ENSURE_GROUP = """
-- KEYS: groups hash, the topic's streams. ARGV: group.
-- Consumer groups start at the streams' ends: envelopes relayed before do not reach them.
for i = 2, #KEYS do
  local created = redis.pcall('XGROUP', 'CREATE', KEYS[i], ARGV[1], '$', 'MKSTREAM')
  if type(created) == 'table' and created.err and not string.find(created.err, 'BUSYGROUP') then
    return created
  end
end
redis.call('HSET', KEYS[1], ARGV[1], '1')
return 1
"""

FORWARD = _COMMON + """
-- KEYS: groups hash, sent set, then one stream per row.
-- ARGV: window ms, then per row: message id, log seq, target group or '', body.
-- Returns how many rows were added, or -1 when the topic has no groups here (never
-- subscribed, or Redis lost its data: the caller decides which).
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[1]))
local added = 0
for i = 3, #KEYS do
  local a = 2 + (i - 3) * 4
  if redis.call('ZADD', KEYS[2], 'NX', now, ARGV[a]) == 1 then
    if ARGV[a + 2] == '' then
      redis.call('XADD', KEYS[i], '*', 's', ARGV[a + 1], 'b', ARGV[a + 3])
    else
      redis.call('XADD', KEYS[i], '*', 's', ARGV[a + 1], 'b', ARGV[a + 3], 'g', ARGV[a + 2])
    end
    added = added + 1
  end
end
return added
"""

CLAIM = _COMMON + """
-- KEYS: groups hash, holds hash, then the streams to visit.
-- ARGV: group, consumer, token, lease ms, max entries, max skipped per bucket, then the
-- bucket of each stream. Returns {bucket, entry id, deliveries, fields, stream} per entry,
-- or nil when the group has no consumer groups here (or a stream lost its one).
local group, consumer, token = ARGV[1], ARGV[2], ARGV[3]
local lease, most, skip = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if redis.call('HEXISTS', KEYS[1], group) == 0 then return false end
local now = now_ms()
local holds = as_map(redis.call('HGETALL', KEYS[2]))
local out = {}
for i = 3, #KEYS do
  if #out >= most then break end
  local stream, bucket = KEYS[i], ARGV[i + 4]
  local hold = holds[bucket]
  if hold then
    local untl, id = parse_hold(hold)
    if untl <= now then
      -- The lease ran out, the retry is due or the entry was given back: deliver it again.
      local got = redis.call('XCLAIM', stream, group, consumer, 0, id)
      if #got > 0 then
        local deliveries = redis.call('XPENDING', stream, group, id, id, 1)[1][4]
        redis.call('HSET', KEYS[2], bucket, hold_value(now + lease, id, token))
        out[#out + 1] = {bucket, id, deliveries, got[1][2], stream}
      else
        redis.call('HDEL', KEYS[2], bucket)  -- no longer in the stream: the bucket moves on
        hold = nil
      end
    end
  end
  if not hold then
    for _ = 1, skip do
      local got = redis.pcall(
        'XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1, 'STREAMS', stream, '>')
      if type(got) == 'table' and got.err then
        if not string.find(got.err, 'NOGROUP') then return got end
        -- The stream lost its consumer group (evicted or deleted): give back what this
        -- call took and have the caller recover the group.
        for _, taken in ipairs(out) do
          give_back(KEYS[2], taken[5], group, consumer, taken[1], taken[2])
        end
        redis.call('HDEL', KEYS[1], group)
        return false
      end
      if not got then break end
      local id, fields = got[1][2][1][1], got[1][2][1][2]
      local target = as_map(fields)['g']
      if target ~= nil and target ~= group then
        redis.call('XACK', stream, group, id)  -- a replay meant for another group
      else
        redis.call('HSET', KEYS[2], bucket, hold_value(now + lease, id, token))
        out[#out + 1] = {bucket, id, 1, fields, stream}
        break
      end
    end
  end
end
return out
"""

RENEW = _COMMON + """
-- KEYS: holds hash. ARGV: token, lease ms, then bucket and entry id per entry.
-- Returns 1 per entry still held by the token (its lease restarted), 0 otherwise.
local token, lease = ARGV[1], tonumber(ARGV[2])
local now = now_ms()
local held = {}
for a = 3, #ARGV, 2 do
  local hold = redis.call('HGET', KEYS[1], ARGV[a])
  local ok = 0
  if hold then
    local _, id, owner = parse_hold(hold)
    if id == ARGV[a + 1] and owner == token then
      redis.call('HSET', KEYS[1], ARGV[a], hold_value(now + lease, id, token))
      ok = 1
    end
  end
  held[#held + 1] = ok
end
return held
"""

SETTLE = _COMMON + """
-- KEYS: holds hash, then one stream per entry.
-- ARGV: group, consumer, token, then per entry: bucket, entry id, action, delay ms.
-- Actions: ack (done or parked), retry (held until the delay passed), release (given back
-- without spending a delivery). Returns 1 per entry applied, 0 per entry whose lease passed.
local group, consumer, token = ARGV[1], ARGV[2], ARGV[3]
local now = now_ms()

local function trim(stream)
  -- Drop what every group has finished: below each group's oldest pending entry and its
  -- last delivered one (kept, so Redis can still count the group's lag exactly).
  local floor = nil
  for _, info in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local f = as_map(info)
    local mark = f['last-delivered-id']
    if f['pending'] > 0 then mark = redis.call('XPENDING', stream, f['name'])[2] end
    if floor == nil or id_less(mark, floor) then floor = mark end
  end
  if floor ~= nil then redis.call('XTRIM', stream, 'MINID', '~', floor) end
end

local applied, acked = {}, {}
for i = 2, #KEYS do
  local a = 4 + (i - 2) * 4
  local stream, bucket, id, action = KEYS[i], ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local hold = redis.call('HGET', KEYS[1], bucket)
  local ok = 0
  if hold then
    local _, held, owner = parse_hold(hold)
    if held == id and owner == token then
      ok = 1
      if action == 'ack' then
        redis.call('XACK', stream, group, id)
        redis.call('HDEL', KEYS[1], bucket)
        acked[#acked + 1] = stream
      elseif action == 'retry' then
        redis.call('HSET', KEYS[1], bucket, hold_value(now + tonumber(ARGV[a + 3]), id, ''))
      else
        give_back(KEYS[1], stream, group, consumer, bucket, id)
      end
    end
  end
  applied[#applied + 1] = ok
end
for _, stream in ipairs(acked) do trim(stream) end
return applied
"""

STATS = _COMMON + """
-- KEYS: holds hash, then the topic's streams. ARGV: group.
-- Returns {undelivered, pending, waiting out a delay, due again, age ms of the oldest
-- unfinished entry or -1}.
local group = ARGV[1]
local now = now_ms()
local undelivered, pending, scheduled, due = 0, 0, 0, 0
local oldest = nil
for _, hold in pairs(as_map(redis.call('HGETALL', KEYS[1]))) do
  local untl, _, owner = parse_hold(hold)
  if owner == '' then
    if untl > now then scheduled = scheduled + 1 else due = due + 1 end
  end
end
local function seen(id)
  local ms = id_ms(id)
  if oldest == nil or ms < oldest then oldest = ms end
end
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[i])) do
      local f = as_map(info)
      if f['name'] == group then
        local after = '(' .. f['last-delivered-id']
        local lag = f['lag']
        if not lag then lag = #redis.call('XRANGE', KEYS[i], after, '+') end
        undelivered = undelivered + lag
        local first = redis.call('XRANGE', KEYS[i], after, '+', 'COUNT', 1)
        if #first > 0 then seen(first[1][1]) end
        if f['pending'] > 0 then
          pending = pending + f['pending']
          seen(redis.call('XPENDING', KEYS[i], group)[2])
        end
      end
    end
  end
end
return {undelivered, pending, scheduled, due, oldest and (now - oldest) or -1}
"""
