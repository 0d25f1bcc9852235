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
// stream, ARGV the replay size, the TTL, then per topic its channel, its number of events
// and their packed data. A topic's events take consecutive seqs (one INCRBY) and go out in
// one PUBLISH: `seq + " " + packed` for one event, else `last + ":" + count + " "` and each
// packed event after its 4-byte length. A topic that fails (a key of the wrong type)
// answers its error text in place of its last seq and does not stop the others.
const PUBLISH_SCRIPT = `
local size = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local out = {}
local a = 3
for g = 1, #KEYS / 2 do
  local channel = ARGV[a]
  local count = tonumber(ARGV[a + 1])
  a = a + 2
  local last = redis.pcall('INCRBY', KEYS[2 * g - 1], count)
  if type(last) == 'table' then
    out[g] = last.err
  else
    if ttl > 0 then redis.call('PEXPIRE', KEYS[2 * g - 1], ttl) end
    local first = last - count + 1
    local failed = nil
    if size > 0 then
      for i = 0, count - 1 do
        local r = redis.pcall('XADD', KEYS[2 * g], 'MAXLEN', '~', size, '*', 's', first + i, 'e', ARGV[a + i])
        if type(r) == 'table' and r.err then
          failed = r.err
          break
        end
      end
      if not failed and ttl > 0 then redis.call('PEXPIRE', KEYS[2 * g], ttl) end
    end
    if failed then
      out[g] = failed
    elseif count == 1 then
      redis.call('PUBLISH', channel, last .. ' ' .. ARGV[a])
      out[g] = last
    else
      local parts = {last .. ':' .. count .. ' '}
      for i = 0, count - 1 do
        local event = ARGV[a + i]
        parts[i + 2] = struct.pack('>I4', #event) .. event
      end
      redis.call('PUBLISH', channel, table.concat(parts))
      out[g] = last
    end
  end
  a = a + count
end
return out`;

const REPLAY_SCRIPT = `
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local since = tonumber(ARGV[1])
local n = math.min(seq - since, tonumber(ARGV[2]))
local entries = {}
if n > 0 then entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', n) end
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
 * The replay script: the topic's last seq, the last `min(seq - since, size)` entries of its
 * stream, newest first, and its oldest entry.
 */
export const REPLAY: Script = script(REPLAY_SCRIPT);
