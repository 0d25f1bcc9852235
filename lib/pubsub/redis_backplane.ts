/**
 * A Redis backplane (stand-in for the h16a branch's, same exports): a Lua script numbers each
 * event with `INCR`, keeps it in a stream (`XADD … MAXLEN ~`) and `PUBLISH`es it; one
 * subscriber connection hears every event and filters with {@linkcode Pattern}.
 *
 * @module
 */

import { createClient } from "redis";
import type { Backplane, BackplaneStream } from "./backplane.ts";
import { Pattern } from "./pattern.ts";
import type { ReplayResult, TopicEvent } from "./replay.ts";
import { isPattern } from "./topic_name.ts";

const SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local payload = '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'e', payload)
redis.call('PUBLISH', KEYS[3], payload)
return seq`;

type Client = ReturnType<typeof createClient>;

/**
 * Options of {@linkcode RedisBackplane.connect}.
 *
 * @example
 * ```ts
 * import type { RedisBackplaneOptions } from "./redis_backplane.ts";
 * const options: RedisBackplaneOptions = { size: 100 };
 * if (options.size !== 100) throw new Error("unreachable");
 * ```
 */
export interface RedisBackplaneOptions {
  /** Events kept per topic. Default 1,000. */
  readonly size?: number;
  /** Key prefix. Default `sb:`. */
  readonly prefix?: string;
}

/**
 * Topics through Redis.
 *
 * @example
 * ```ts ignore
 * import { RedisBackplane } from "./redis_backplane.ts";
 * const backplane = await RedisBackplane.connect("redis://127.0.0.1:6379");
 * await backplane.publish("a.b", 1);
 * await backplane.close();
 * ```
 */
export class RedisBackplane implements Backplane {
  readonly #client: Client;
  readonly #sub: Client;
  readonly #prefix: string;
  readonly #size: number;
  readonly #listeners = new Set<(event: TopicEvent) => void>();
  #state: "up" | "down" | "connecting" = "connecting";
  #detail: string | undefined;

  private constructor(client: Client, sub: Client, options: RedisBackplaneOptions) {
    this.#client = client;
    this.#sub = sub;
    this.#prefix = options.prefix ?? "sb:";
    this.#size = options.size ?? 1000;
    for (const c of [client, sub]) {
      c.on("error", (error: Error) => {
        this.#state = "down";
        this.#detail = error.message;
      });
      c.on("ready", () => {
        if (client.isReady && sub.isReady) this.#state = "up";
      });
      c.on("reconnecting", () => this.#state = "connecting");
    }
  }

  /**
   * Connect.
   *
   * @param url `redis://host:port`.
   * @param options Retention and prefix.
   * @returns The connected backplane.
   */
  static async connect(url: string, options: RedisBackplaneOptions = {}): Promise<RedisBackplane> {
    const make = (): Client =>
      createClient({
        url,
        disableOfflineQueue: true,
        socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
      });
    const client = make();
    const sub = make();
    const backplane = new RedisBackplane(client, sub, options);
    await client.connect();
    await sub.connect();
    const prefix = backplane.#prefix;
    await sub.pSubscribe(`${prefix}ev:*`, (message: string) => {
      const event = JSON.parse(message) as TopicEvent;
      for (const listener of backplane.#listeners) listener(event);
    });
    backplane.#state = "up";
    return backplane;
  }

  /**
   * The connection's state.
   *
   * @returns Up, down or connecting, with the last error.
   */
  health(): { state: "up" | "down" | "connecting"; detail?: string } {
    return this.#detail === undefined || this.#state === "up"
      ? { state: this.#state }
      : { state: this.#state, detail: this.#detail };
  }

  async publish(topic: string, data: unknown, exclude?: string): Promise<number> {
    const p = this.#prefix;
    const body = JSON.stringify({ topic, data, time: Date.now(), exclude });
    const seq = await this.#client.eval(SCRIPT, {
      keys: [`${p}seq:${topic}`, `${p}log:${topic}`, `${p}ev:${topic}`],
      arguments: [body, String(this.#size)],
    });
    return Number(seq);
  }

  stream(listener: (event: TopicEvent) => void): BackplaneStream {
    const exact = new Set<string>();
    const patterns = new Map<string, Pattern>();
    const filtered = (event: TopicEvent): void => {
      if (exact.has(event.topic)) return listener(event);
      for (const pattern of patterns.values()) {
        if (pattern.matches(event.topic)) return listener(event);
      }
    };
    this.#listeners.add(filtered);
    return {
      add: (filter) => {
        if (isPattern(filter)) patterns.set(filter, new Pattern(filter));
        else exact.add(filter);
      },
      remove: (filter) => {
        if (!exact.delete(filter)) patterns.delete(filter);
      },
      close: () => {
        this.#listeners.delete(filtered);
      },
    };
  }

  async replay(topic: string, since?: number): Promise<ReplayResult> {
    const p = this.#prefix;
    const seq = Number(await this.#client.get(`${p}seq:${topic}`) ?? 0);
    if (since === undefined || since === seq) return { events: [], seq };
    if (since > seq) return { gap: { since, oldest: null, seq, reason: "ahead" } };
    const entries = await this.#client.xRange(`${p}log:${topic}`, `${since + 1}-0`, "+");
    const events = (entries ?? []).map((e: { message: Record<string, string> }) =>
      JSON.parse(e.message.e!) as TopicEvent
    );
    if (events.length === 0 || events[0]!.seq !== since + 1) {
      return { gap: { since, oldest: events[0]?.seq ?? null, seq, reason: "expired" } };
    }
    return { events, seq: Math.max(seq, events.at(-1)!.seq) };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    for (const c of [this.#sub, this.#client]) {
      try {
        c.destroy();
      } catch {
        // Already closed.
      }
    }
    await Promise.resolve();
  }
}
