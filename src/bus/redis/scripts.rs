//! The Lua scripts the bus runs in Redis: a script runs atomically, so a
//! batch is stored whole or not at all.

/// The publish script. Keys and arguments:
///
/// - `KEYS[1]`: the stream; then, for each event in order, its seen key (when
///   it is deduplicated) and its status key (when it is a status).
/// - `ARGV[1]`: the announcement channel; `ARGV[2]`: `MAXLEN`; `ARGV[3]`: the
///   maximum age in ms (0: none); `ARGV[4]`: the dedup window in ms;
///   `ARGV[5]`: the number of events `n`; then four per event: dedup flag
///   (`1`/`0`), status rank (0: not a status), the encoded event, and the
///   encoded event marked superseded (empty when not a status).
///
/// Returns two strings per event: the new entry id (empty when the event was
/// a redelivery and dropped) and `1` when the superseded variant was stored.
pub(super) const PUBLISH_LUA: &str = r#"
local n = tonumber(ARGV[5])
if not (n and tonumber(ARGV[2]) and tonumber(ARGV[3]) and tonumber(ARGV[4])) or #ARGV ~= 5 + 4 * n then
  return redis.error_reply('ERR wagate publish: malformed arguments')
end
local stream = KEYS[1]
local max_age = tonumber(ARGV[3])

-- Validate before the first write: a script that fails half-way is not rolled back.
local function usable(key, wanted)
  local t = redis.call('TYPE', key)['ok']
  return t == 'none' or t == wanted
end
if not usable(stream, 'stream') then
  return redis.error_reply('WRONGTYPE wagate publish: ' .. stream .. ' is not a stream')
end
local k = 2
for i = 0, n - 1 do
  local dedup, rank = ARGV[6 + 4 * i], tonumber(ARGV[7 + 4 * i])
  if (dedup ~= '0' and dedup ~= '1') or not rank then
    return redis.error_reply('ERR wagate publish: malformed event arguments')
  end
  local wanted = (dedup == '1' and 1 or 0) + (rank > 0 and 1 or 0)
  for j = k, k + wanted - 1 do
    if not KEYS[j] then
      return redis.error_reply('ERR wagate publish: missing keys')
    end
    if not usable(KEYS[j], 'string') then
      return redis.error_reply('WRONGTYPE wagate publish: ' .. KEYS[j] .. ' is not a string')
    end
  end
  k = k + wanted
end
if k ~= #KEYS + 1 then
  return redis.error_reply('ERR wagate publish: too many keys')
end

local out, last = {}, nil
k = 2
for i = 0, n - 1 do
  local dedup, rank = ARGV[6 + 4 * i], tonumber(ARGV[7 + 4 * i])
  local fresh = true
  if dedup == '1' then
    fresh = redis.call('SET', KEYS[k], '1', 'NX', 'PX', ARGV[4]) ~= false
    k = k + 1
  end
  local superseded = false
  if rank > 0 then
    local key = KEYS[k]
    k = k + 1
    if fresh then
      local furthest = tonumber(redis.call('GET', key)) or 0
      if rank < furthest then
        superseded = true
      else
        redis.call('SET', key, ARGV[7 + 4 * i], 'PX', ARGV[4])
      end
    end
  end
  if fresh then
    local payload = superseded and ARGV[9 + 4 * i] or ARGV[8 + 4 * i]
    last = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[2], '*', 'e', payload)
    out[#out + 1] = last
    out[#out + 1] = superseded and '1' or '0'
  else
    out[#out + 1] = ''
    out[#out + 1] = '0'
  end
end
if last then
  if max_age > 0 then
    -- Redis's clock, the one its entry ids come from.
    local now = redis.call('TIME')
    local min = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - max_age
    if min > 0 then
      redis.call('XTRIM', stream, 'MINID', '~', string.format('%d', min))
    end
  end
  redis.call('PUBLISH', ARGV[1], last)
end
return out
"#;
