/**
 * The Lua scripts of the Redis backplane (lib/pubsub/redis_backplane.ts), with their SHA-1s
 * for EVALSHA: one stores a batch of publishes, the other answers a replay.
 *
 * @example Each script has its SHA-1
 * ```ts
 * import { PUBLISH, REPLAY } from "./redis_scripts.ts";
 * if (PUBLISH.sha.length !== 40 || REPLAY.sha === PUBLISH.sha) throw new Error("unreachable");
 * ```
 *
 * @module
 */

import { createHash } from "node:crypto";

// One call stores a batch of events, grouped by topic: KEYS are each topic's counter and
// stream, ARGV the replay size, the TTL, then per topic its channel, its number of events,
// whether its TTL is due ('1') and the body holding its events (lib/pubsub/redis_codec.ts).
// A topic's events take consecutive seqs (one INCRBY), one stream entry named
// `<last>-<count>` (field `e`: the body) and one PUBLISH of `<last>-<count> <body>`.
// The stream is trimmed (MINID ~) to the entries holding the last `size` seqs each time the
// counter passes a multiple of size / 4, not on every call (trimming costs as much as the
// XADD): it holds at most about 1.25 × size events plus one batch, and what approximate
// trimming leaves. A counter that INCRBY creates gets its TTL at once, and drops a stream
// left from before; so does a counter behind its stream's entry IDs (set back by hand). A topic that fails (a key of the wrong
// type) answers its error text in place of its last seq and does not stop the others.
const PUBLISH_SCRIPT = `
local size = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local trim = math.max(math.ceil(size / 4), 1)
local function add(log, last, count, id, body)
  if math.floor(last / trim) > math.floor((last - count) / trim) then
    return redis.pcall('XADD', log, 'MINID', '~', math.max(last - size + 1, 0), id, 'e', body)
  end
  return redis.pcall('XADD', log, id, 'e', body)
end
local out = {}
for g = 1, #KEYS / 2 do
  local a = 4 * g - 1
  local count = tonumber(ARGV[a + 1])
  local body = ARGV[a + 3]
  local counter, log = KEYS[2 * g - 1], KEYS[2 * g]
  local last = redis.pcall('INCRBY', counter, count)
  if type(last) == 'table' then
    out[g] = last.err
  else
    local fresh = last == count
    local id = last .. '-' .. count
    local failed = nil
    if size > 0 then
      if fresh and redis.call('TYPE', log).ok == 'stream' then redis.call('DEL', log) end
      local r = add(log, last, count, id, body)
      if type(r) == 'table' and r.err and string.find(r.err, 'equal or smaller', 1, true) then
        redis.call('DEL', log)
        r = add(log, last, count, id, body)
      end
      if type(r) == 'table' and r.err then failed = r.err end
    end
    if failed then
      out[g] = failed
    else
      if ttl > 0 and (fresh or ARGV[a + 2] == '1') then
        redis.call('PEXPIRE', counter, ttl)
        if size > 0 then redis.call('PEXPIRE', log, ttl) end
      end
      redis.call('PUBLISH', ARGV[a], id .. ' ' .. body)
      out[g] = last
    end
  end
end
return out`;

// Replay: the topic's last seq, the entries holding seqs after max(since, seq - size), oldest
// first, and the stream's oldest entry.
const REPLAY_SCRIPT = `
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local from = math.max(tonumber(ARGV[1]), seq - tonumber(ARGV[2])) + 1
local entries = {}
if from <= seq then entries = redis.call('XRANGE', KEYS[2], from, '+') end
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
return {seq, entries, first}`;

/** A Lua script and its SHA-1, for EVALSHA. */
export interface Script {
  /** The Lua source, sent by EVAL when Redis does not know the SHA yet. */
  readonly source: string;
  /** Its SHA-1, for EVALSHA. */
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/** The batch publish script (see above). */
export const PUBLISH: Script = script(PUBLISH_SCRIPT);

/**
 * The replay script: the topic's last seq, the stream entries holding the seqs after
 * `max(since, seq - size)`, oldest first, and the stream's oldest entry.
 */
export const REPLAY: Script = script(REPLAY_SCRIPT);
