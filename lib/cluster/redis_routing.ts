/**
 * Cluster routing over Redis (docs/CLUSTER.md, "Routed calls"):
 *
 * - each hub holds a lease `sbr:hub:<id>` (`SET … PX`, renewed every third of it);
 * - the registrations of a name are a hash `sbr:r:<name>` of `<hub> <connection>` → info, and
 *   `sbr:names` the set of names; a Lua script adds one atomically, refusing it under `single`
 *   when a live hub's other connection holds the name (entries of expired hubs are dropped);
 * - every change is announced on the channel `sbr:changed` (the name), so hubs refresh their
 *   cached view; readers ignore entries whose hub lease expired;
 * - calls, answers and cancellations go to the target hub's inbox channel `sbr:inbox:<id>`.
 *
 * @module
 */

import { createClient } from "@redis/client";
import type { ClusterMessage, EngineHealth, RouteEntry, RoutingEngine } from "./engine.ts";

type Client = ReturnType<typeof createClient>;

const ADD = `
if ARGV[3] == '1' then
  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
    if f ~= ARGV[1] then
      local hub = string.match(f, '^(%S+) ')
      if redis.call('EXISTS', ARGV[4] .. hub) == 1 then return f end
      redis.call('HDEL', KEYS[1], f)
    end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[5])
return false`;

const REMOVE = `
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1`;

/**
 * Options of {@linkcode RedisRouting.connect}.
 *
 * @example Types only
 * ```ts
 * import type { RedisRoutingOptions } from "./redis_routing.ts";
 * const options: RedisRoutingOptions = { lease: 3_000 };
 * if (options.lease !== 3_000) throw new Error("unreachable");
 * ```
 */
export interface RedisRoutingOptions {
  /** A hub's lease in ms: its registrations count as gone this long after it dies. Default 3,000. */
  readonly lease?: number;
  /** Key and channel prefix. Default `sbr:`. */
  readonly prefix?: string;
}

/**
 * The {@linkcode RoutingEngine} on Redis.
 *
 * @example
 * ```ts ignore
 * import { RedisRouting } from "./redis_routing.ts";
 * const engine = await RedisRouting.connect("redis://127.0.0.1:6379");
 * await engine.close();
 * ```
 */
export class RedisRouting implements RoutingEngine {
  readonly hub: string = crypto.randomUUID().slice(0, 13);
  readonly #client: Client;
  readonly #sub: Client;
  readonly #prefix: string;
  readonly #lease: number;
  readonly #mine = new Map<string, RouteEntry>();
  /** Removals that failed (engine down): retried until done, so no stale entry stays. */
  readonly #removals = new Map<string, RouteEntry>();
  readonly #timer: ReturnType<typeof setInterval>;
  #onMessage: (message: ClusterMessage) => void = () => {};
  #onChange: (name: string) => void = () => {};
  #state: EngineHealth["state"] = "connecting";
  #detail: string | undefined;
  #wasDown = false;

  private constructor(client: Client, sub: Client, options: RedisRoutingOptions) {
    this.#client = client;
    this.#sub = sub;
    this.#prefix = options.prefix ?? "sbr:";
    this.#lease = options.lease ?? 3_000;
    for (const c of [client, sub]) {
      c.on("error", (error: Error) => {
        this.#state = "down";
        this.#wasDown = true;
        this.#detail = error.message;
      });
      c.on("reconnecting", () => {
        this.#state = "connecting";
        this.#wasDown = true;
      });
      c.on("ready", () => {
        if (!(client.isReady && sub.isReady)) return;
        this.#state = "up";
        if (this.#wasDown) void this.#restore();
      });
    }
    this.#timer = setInterval(() => void this.#renew(), Math.max(100, this.#lease / 3));
  }

  /**
   * Connect, take the lease and listen to this hub's inbox.
   *
   * @param url `redis://host:port`.
   * @param options Lease and prefix.
   * @returns The engine.
   */
  static async connect(url: string, options: RedisRoutingOptions = {}): Promise<RedisRouting> {
    const make = (): Client =>
      createClient({
        url,
        disableOfflineQueue: true,
        socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
      });
    const engine = new RedisRouting(make(), make(), options);
    await engine.#client.connect();
    await engine.#sub.connect();
    const p = engine.#prefix;
    await engine.#sub.subscribe(`${p}inbox:${engine.hub}`, (text: string) => {
      engine.#onMessage(JSON.parse(text) as ClusterMessage);
    });
    await engine.#sub.subscribe(`${p}changed`, (name: string) => engine.#onChange(name));
    await engine.#renew();
    engine.#state = "up";
    return engine;
  }

  async add(entry: RouteEntry, single: boolean): Promise<RouteEntry | undefined> {
    const p = this.#prefix;
    const field = `${entry.hub} ${entry.callee}`;
    const held = await this.#client.eval(ADD, {
      keys: [`${p}r:${entry.name}`, `${p}names`],
      arguments: [
        field,
        JSON.stringify(entry.info ?? null),
        single ? "1" : "0",
        `${p}hub:`,
        entry.name,
        `${p}changed`,
      ],
    });
    if (typeof held === "string") return parse(entry.name, held, "null");
    this.#mine.set(`${entry.name}\n${field}`, entry);
    return undefined;
  }

  async remove(entry: RouteEntry): Promise<void> {
    const p = this.#prefix;
    const field = `${entry.hub} ${entry.callee}`;
    const key = `${entry.name}\n${field}`;
    this.#mine.delete(key);
    this.#removals.set(key, entry);
    await this.#client.eval(REMOVE, {
      keys: [`${p}r:${entry.name}`, `${p}names`],
      arguments: [field, entry.name, `${p}changed`],
    });
    this.#removals.delete(key);
  }

  async lookup(name: string): Promise<RouteEntry[]> {
    const hash = await this.#client.hGetAll(`${this.#prefix}r:${name}`);
    return await this.#live(Object.entries(hash).map(([f, v]) => parse(name, f, v)));
  }

  async list(): Promise<RouteEntry[]> {
    const names = (await this.#client.sMembers(`${this.#prefix}names`)).slice(0, 10_000);
    const entries: RouteEntry[] = [];
    if (names.length === 0) return entries;
    // One round trip for every name.
    const pipeline = this.#client.multi();
    for (const name of names) pipeline.hGetAll(`${this.#prefix}r:${name}`);
    const hashes = await pipeline.execAsPipeline() as unknown as Record<string, string>[];
    names.forEach((name, i) => {
      for (const [f, v] of Object.entries(hashes[i] ?? {})) entries.push(parse(name, f, v));
    });
    return await this.#live(entries);
  }

  async alive(hub: string): Promise<boolean> {
    return hub === this.hub || await this.#client.exists(`${this.#prefix}hub:${hub}`) === 1;
  }

  async send(hub: string, message: ClusterMessage): Promise<void> {
    await this.#client.publish(`${this.#prefix}inbox:${hub}`, JSON.stringify(message));
  }

  listen(onMessage: (message: ClusterMessage) => void, onChange: (name: string) => void): void {
    this.#onMessage = onMessage;
    this.#onChange = onChange;
  }

  health(): EngineHealth {
    return this.#state === "up" || this.#detail === undefined
      ? { state: this.#state }
      : { state: this.#state, detail: this.#detail };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    try {
      for (const entry of [...this.#mine.values()]) await this.remove(entry);
      await this.#client.del(`${this.#prefix}hub:${this.hub}`);
    } catch {
      // The engine is down: the lease expires by itself.
    }
    for (const c of [this.#sub, this.#client]) {
      try {
        c.destroy();
      } catch {
        // Already closed.
      }
    }
  }

  async #renew(): Promise<void> {
    try {
      await this.#client.set(`${this.#prefix}hub:${this.hub}`, "1", { PX: this.#lease });
      for (const entry of [...this.#removals.values()]) await this.remove(entry);
    } catch {
      // Down: health reports it; the client reconnects by itself.
    }
  }

  /** After an outage the engine may have lost data: put back the lease and registrations. */
  async #restore(): Promise<void> {
    this.#wasDown = false;
    await this.#renew();
    for (const entry of [...this.#mine.values()]) {
      try {
        await this.add(entry, false);
      } catch {
        // Down again: the next ready restores.
      }
    }
  }

  async #live(entries: RouteEntry[]): Promise<RouteEntry[]> {
    const hubs = [...new Set(entries.map((e) => e.hub))];
    if (hubs.length === 0) return [];
    const values = await this.#client.mGet(hubs.map((h) => `${this.#prefix}hub:${h}`));
    const alive = new Set(hubs.filter((h, i) => h === this.hub || values[i] !== null));
    return entries.filter((e) => alive.has(e.hub));
  }
}

function parse(name: string, field: string, value: string): RouteEntry {
  const space = field.indexOf(" ");
  const info = JSON.parse(value) as unknown;
  return {
    name,
    hub: field.slice(0, space),
    callee: field.slice(space + 1),
    ...(info === null ? {} : { info }),
  };
}
