/**
 * The Redis backplane (Redis 7): brokers in many processes share topics through one Redis.
 *
 * - **Publish**: the publishes an instance makes in one turn of the event loop share one Lua
 *   script call (at most 512 events or about 1 MiB; their keys may lie in different slots, so
 *   this needs a single Redis, not a Redis Cluster), which per topic, atomically, `INCRBY`s
 *   the topic's counter by its number of events (their sequence numbers), `XADD`s them as
 *   one stream entry (when replay is on) and `PUBLISH`es them as one message on the topic's
 *   channel; entry and message are named `<last seq>-<count>` and hold the events packed by
 *   lib/pubsub/redis_codec.ts. The keys' idle TTL is refreshed at most once per tenth of it.
 *   Counter and publish in one script: every listener hears a topic's events in seq order,
 *   and no two publishers get the same seq; each topic gets its own seqs, or its own error.
 * - **Live delivery** is Redis Pub/Sub on a second connection, without polling: `SUBSCRIBE`
 *   for an exact topic, `PSUBSCRIBE` a glob for a pattern (`*` and `**` both become Redis's
 *   `*`, which also crosses dots, so the glob is wider and every event is checked with
 *   {@linkcode Pattern} before delivery). `XREAD BLOCK` would need one stream per listener's
 *   filter set and cannot follow patterns; Pub/Sub can, and the streams serve replay. What
 *   arrives is decoded after the process's outgoing work (`afterOutgoing`), or before this
 *   instance answers its own publishers.
 * - **Exactly once, in order**: see {@linkcode RemoteStreams} (copies per matching
 *   subscription dropped; a seq jump after the subscriber connection came back is repaired
 *   from the stream).
 * - **Replay** is one Lua script reading the counter and the stream entries holding the seqs
 *   after `max(since, seq - size)` (`XRANGE`, entry IDs being seqs); events older than
 *   `maxAge` or past `size` are not held, as in memory.
 *
 * Keys, with the default prefix `switchboard:` and topic `chat.lobby`:
 * `switchboard:{chat.lobby}:seq` (string counter), `switchboard:{chat.lobby}:log` (stream),
 * channel `switchboard:chat.lobby`. The hash tag keeps a topic's keys in one Redis Cluster
 * slot.
 *
 * The client is node-redis (`@redis/client`, the Redis project's own), which runs on Deno
 * and Bun alike. Plain JSON data is packed as JSON, other data by `packEvent` (superjson plus
 * raw attachment bytes).
 *
 * @module
 */

import { PUBLISH, REPLAY, type Script } from "./redis_scripts.ts";
import { createClient, RESP_TYPES } from "@redis/client";
import type { Backplane, BackplaneStream } from "./backplane.ts";
import { Buffer } from "node:buffer";
import { setImmediate } from "node:timers";
import { type BackplaneHealth, settleWithin } from "./backplane_health.ts";
import { containsBlob } from "../framing/encoded.ts";
import { packEvent, packForPublish } from "./event_codec.ts";
import { InOrder } from "./in_order.ts";
import {
  afterOutgoing,
  answerSoon,
  PublishQueue,
  type TopicBlock,
  TtlRefresh,
} from "./redis_batch.ts";
import { packBody, packPlain, parseId, unpackBody } from "./redis_codec.ts";
import { RemoteStreams } from "./remote_streams.ts";
import type { ReplayOptions, ReplayResult, TopicEvent } from "./replay.ts";

/**
 * Options of {@linkcode RedisBackplane.connect}.
 *
 * @example Types only
 * ```ts
 * import type { RedisBackplaneOptions } from "./redis_backplane.ts";
 * const options: RedisBackplaneOptions = { prefix: "app:", replay: { size: 100 } };
 * if (options.prefix !== "app:") throw new Error("unreachable");
 * ```
 */
export interface RedisBackplaneOptions {
  /** Prefix of every key and channel. Default `switchboard:`. */
  readonly prefix?: string;
  /** Events kept per topic (about the last `size`, in its stream) and their age. Default: none. */
  readonly replay?: ReplayOptions;
  /**
   * A topic not published for this many ms is forgotten (its keys expire; it restarts at
   * seq 1, and a resume then gets a gap). Default 86,400,000 (a day); 0 keeps topics forever.
   * Each instance refreshes a topic's expiry at its first publish there and then at most once
   * per tenth of this, so an idle topic is forgotten between 0.9 × and 1 × this after its last
   * publish.
   */
  readonly topicTtl?: number;
  /** Topics whose last seq each instance remembers for exactly-once delivery. Default 100,000. */
  readonly maxTopics?: number;
  /** How long a publish or replay may wait for Redis before it rejects, in ms. Default 5,000. */
  readonly timeout?: number;
  /** How long `connect` waits for Redis, in ms. Default 10,000. */
  readonly connectTimeout?: number;
  /** Where lost events, listener errors and connection errors are reported. */
  readonly onError?: (error: unknown) => void;
}

type RedisClient = ReturnType<typeof createClient>;

type StreamEntry = [Uint8Array, Uint8Array[]];

/**
 * A backplane on Redis.
 *
 * @example
 * ```ts ignore
 * import { RedisBackplane } from "./redis_backplane.ts";
 * const backplane = await RedisBackplane.connect("redis://127.0.0.1:6379", { replay: { size: 100 } });
 * const seq = await backplane.publish("chat.lobby", { text: "hi" });
 * console.log(seq, backplane.health().state);
 * await backplane.close();
 * ```
 */
export class RedisBackplane implements Backplane {
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #prefix: string;
  readonly #size: number;
  readonly #maxAge: number;
  readonly #ttl: number;
  readonly #timeout: number;
  readonly #onError: (error: unknown) => void;
  readonly #streams: RemoteStreams;
  /** Glob (or exact topic) → how many filters it serves, and its subscription. */
  readonly #globs = new Map<string, { count: number; ready: Promise<void> }>();
  /** Publishes waiting for the next script call. */
  readonly #queue = new PublishQueue((blocks) => this.#store(blocks));
  readonly #order = new InOrder<string | Uint8Array>((topic, packed) =>
    this.#queue.add(topic, packed)
  );
  readonly #refresh: TtlRefresh;
  #detail: string | undefined;
  #closed = false;

  private constructor(pub: RedisClient, sub: RedisClient, options: RedisBackplaneOptions) {
    this.#pub = pub;
    this.#sub = sub;
    this.#prefix = options.prefix ?? "switchboard:";
    this.#size = options.replay?.size ?? 0;
    this.#maxAge = options.replay?.maxAge ?? 60_000;
    this.#ttl = options.topicTtl ?? 86_400_000;
    this.#timeout = options.timeout ?? 5_000;
    this.#onError = options.onError ?? (() => {});
    if (!Number.isSafeInteger(this.#size) || this.#size < 0) {
      throw new RangeError(`Switchboard: replay size must be an integer >= 0: got ${this.#size}`);
    }
    if (!(this.#maxAge > 0)) {
      throw new RangeError(`Switchboard: replay maxAge must be positive: got ${this.#maxAge}`);
    }
    if (!Number.isSafeInteger(this.#ttl) || this.#ttl < 0) {
      throw new RangeError(`Switchboard: topicTtl must be an integer >= 0: got ${this.#ttl}`);
    }
    this.#refresh = new TtlRefresh(this.#ttl, options.maxTopics ?? 100_000);
    this.#streams = new RemoteStreams({
      subscribe: (filter) => this.#subscribe(filter),
      unsubscribe: (filter) => this.#unsubscribe(filter),
      replay: (topic, since) => this.replay(topic, since),
    }, { maxTopics: options.maxTopics ?? 100_000, onError: this.#onError });
    for (const client of [pub, sub]) {
      client.on("error", (error: Error) => {
        this.#detail = error.message;
      });
      client.on("ready", () => {
        this.#detail = undefined;
      });
    }
    // node-redis emits ready once the subscriptions are acknowledged again: fetch what the
    // listeners missed while the Pub/Sub connection was down.
    let connected = false;
    sub.on("ready", () => {
      if (connected) this.#streams.resync();
      connected = true;
    });
  }

  /**
   * Connect to Redis (two connections: commands and Pub/Sub). Both reconnect by themselves.
   *
   * @param url `redis://[user:password@]host:port[/db]` (or `rediss://`).
   * @param options Prefix, replay, TTL, timeouts.
   * @returns The connected backplane.
   * @throws {Error} When Redis cannot be reached within `connectTimeout`.
   */
  static async connect(url: string, options: RedisBackplaneOptions = {}): Promise<RedisBackplane> {
    const pub = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000) },
      commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
    }) as unknown as RedisClient;
    const sub = pub.duplicate({ disableOfflineQueue: false });
    const backplane = new RedisBackplane(pub, sub, options);
    try {
      await settleWithin(
        Promise.all([pub.connect(), sub.connect()]),
        options.connectTimeout ?? 10_000,
        `Switchboard: Redis at ${redact(url)} did not answer`,
      );
    } catch (error) {
      pub.destroy();
      sub.destroy();
      throw error;
    }
    return backplane;
  }

  /**
   * Whether both connections to Redis are up.
   *
   * @returns `up` or `down` (reconnecting by itself), and the last error when down.
   */
  health(): BackplaneHealth {
    const state = this.#pub.isReady && this.#sub.isReady ? "up" : "down";
    return this.#detail === undefined || state === "up"
      ? { state }
      : { state, detail: this.#detail };
  }

  publish(topic: string, data: unknown, exclude?: string): Promise<number> {
    // Plain JSON data packed as JSON, other data by the superjson codec; data holding Blobs
    // waits for them to be read, and the publishes after it wait behind it (call order).
    let packed: string | Uint8Array | Promise<string | Uint8Array>;
    try {
      const now = Date.now();
      packed = packPlain(now, exclude, data) ??
        (containsBlob(data) ? packForPublish(data, exclude) : packEvent(now, exclude, data));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#order.add(topic, packed);
  }

  /** Store one call's publishes with one script call (each topic answers alone). */
  #store(blocks: Map<string, TopicBlock>): void {
    const keys: string[] = [];
    const args: (string | Buffer)[] = [String(this.#size), String(this.#ttl)];
    const now = Date.now();
    for (const [topic, block] of blocks) {
      keys.push(`${this.#prefix}{${topic}}:seq`, `${this.#prefix}{${topic}}:log`);
      const due = this.#refresh.due(topic, now) ? "1" : "0";
      args.push(this.#prefix + topic, String(block.events.length), due, packBody(block.events));
    }
    settleWithin(
      this.#eval(PUBLISH, keys, args) as Promise<(number | Uint8Array)[]>,
      this.#timeout,
      `Redis did not answer in ${this.#timeout} ms`,
    ).then(
      (answers) => answerSoon(() => this.#answer(blocks, answers)),
      (error: unknown) => {
        for (const [topic, block] of blocks) {
          this.#refresh.forget(topic);
          block.reject(publishError(topic, error));
        }
      },
    );
  }

  #answer(blocks: Map<string, TopicBlock>, answers: (number | Uint8Array)[]): void {
    // What this instance's Pub/Sub connection holds by now (usually the events answered)
    // reaches its listeners first; a publish whose event has not come back yet resolves once
    // it has (RemoteStreams.heard, at most a second), as with the in-memory backplane.
    this.#drain();
    let g = 0;
    for (const [topic, block] of blocks) {
      const last = answers[g++];
      if (typeof last === "number") {
        const heard = this.#streams.heard(topic, last);
        if (heard === undefined) block.resolve(last);
        else heard.then(() => block.resolve(last));
      } else {
        this.#refresh.forget(topic);
        block.reject(publishError(topic, new Error(text(last ?? "no answer"))));
      }
    }
  }

  stream(listener: (event: TopicEvent) => void): BackplaneStream {
    return this.#streams.stream(listener);
  }

  async replay(topic: string, since?: number): Promise<ReplayResult> {
    let seq: number;
    let held: TopicEvent[];
    let firstSeq: number | undefined;
    try {
      let entries: StreamEntry[], first: StreamEntry[];
      [seq, entries, first] = await settleWithin(
        this.#eval(REPLAY, this.#keys(topic), [
          String(since ?? Number.MAX_SAFE_INTEGER),
          String(this.#size),
        ]) as Promise<[number, StreamEntry[], StreamEntry[]]>,
        this.#timeout,
        `Redis did not answer in ${this.#timeout} ms`,
      );
      // Held: the last `size` seqs, younger than maxAge, still in the stream. The first
      // entry may also hold events at or below `since`.
      const cutoff = Date.now() - this.#maxAge;
      held = entries.flatMap((entry) => entryEvents(topic, entry))
        .filter((event) => event.time >= cutoff && event.seq > seq - this.#size);
      firstSeq = first[0] === undefined ? undefined : firstOf(first[0]);
    } catch (error) {
      throw new Error(
        `Switchboard: the Redis backplane could not replay ${topic}: ${message(error)}`,
        { cause: error },
      );
    }
    if (since === undefined || since === seq) return { events: [], seq };
    let oldest: number | null = held[0]?.seq ?? null;
    if (oldest === null && firstSeq !== undefined && this.#size > 0 && since > seq) {
      oldest = Math.max(firstSeq, seq - this.#size + 1);
    }
    if (since > seq) return { gap: { since, oldest, seq, reason: "ahead" } };
    if (oldest === null || oldest > since + 1) {
      return { gap: { since, oldest, seq, reason: "expired" } };
    }
    return { events: held.filter((event) => event.seq > since), seq };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#streams.close();
    for (const client of [this.#sub, this.#pub]) {
      if (client.isReady) {
        await settleWithin(client.close(), 1_000, "close").catch(() => client.destroy());
      } else if (client.isOpen) {
        client.destroy();
      }
    }
  }

  /** EVALSHA, loading the script by EVAL when Redis does not have it (first use, restart). */
  async #eval(script: Script, keys: string[], args: (string | Buffer)[]): Promise<unknown> {
    const rest = [String(keys.length), ...keys, ...args];
    try {
      return await this.#pub.sendCommand(["EVALSHA", script.sha, ...rest]);
    } catch (error) {
      if (!message(error).startsWith("NOSCRIPT")) throw error;
      return await this.#pub.sendCommand(["EVAL", script.source, ...rest]);
    }
  }

  #keys(topic: string): string[] {
    return [`${this.#prefix}{${topic}}:seq`, `${this.#prefix}{${topic}}:log`];
  }

  #subscribe(filter: string): Promise<void> {
    const glob = this.#glob(filter);
    const entry = this.#globs.get(glob);
    if (entry !== undefined) {
      entry.count++;
      return entry.ready;
    }
    const listener = (message: Uint8Array, channel: Uint8Array): void =>
      this.#receive(message, channel);
    const ready = glob === filter
      ? this.#sub.subscribe(this.#prefix + filter, listener, true)
      : this.#sub.pSubscribe(glob, listener, true);
    this.#globs.set(glob, { count: 1, ready });
    return ready;
  }

  #unsubscribe(filter: string): void {
    const glob = this.#glob(filter);
    const entry = this.#globs.get(glob);
    if (entry === undefined) return;
    if (entry.count > 1) {
      entry.count--;
      return;
    }
    this.#globs.delete(glob);
    const done = glob === filter
      ? this.#sub.unsubscribe(this.#prefix + filter)
      : this.#sub.pUnsubscribe(glob);
    done.catch((error: unknown) => this.#onError(error));
  }

  /** The filter itself for an exact topic, else the (wider) Redis glob of a pattern. */
  #glob(filter: string): string {
    const segments = filter.split(".");
    if (!segments.some((s) => s === "*" || s === "**")) return filter;
    return escapeGlob(this.#prefix) +
      segments.map((s) => (s === "*" || s === "**" ? "*" : escapeGlob(s))).join(".");
  }

  /**
   * Pub/Sub messages not decoded yet. They are decoded in a turn of their own after the
   * process's outgoing work (lib/pubsub/redis_batch.ts), or before this instance answers its
   * publishers.
   */
  #inbox: [Uint8Array, Uint8Array][] = [];

  #receive(message: Uint8Array, channel: Uint8Array): void {
    if (this.#inbox.push([message, channel]) === 1) setImmediate(this.#drainSoon);
  }

  readonly #drainSoon = (): void => afterOutgoing(this.#drain);

  readonly #drain = (): void => {
    if (this.#inbox.length === 0) return;
    if (this.#closed) {
      this.#inbox = [];
      return;
    }
    const inbox = this.#inbox;
    this.#inbox = [];
    for (const [message, channel] of inbox) this.#decode(message, channel);
  };

  #decode(message: Uint8Array, channel: Uint8Array): void {
    try {
      const topic = text(channel).slice(this.#prefix.length);
      const space = message.indexOf(0x20);
      const { last, count } = parseId(message.subarray(0, space));
      this.#streams.receiveBatch(unpackBody(topic, last, count, message.subarray(space + 1)));
    } catch (error) {
      this.#onError(error);
    }
  }
}

const decoder = new TextDecoder();

function text(bytes: Uint8Array | string): string {
  return typeof bytes === "string" ? bytes : decoder.decode(bytes);
}

/** The events of a stream entry (ID `<last>-<count>`, field `e` the body). */
function entryEvents(topic: string, [id, fields]: StreamEntry): TopicEvent[] {
  const { last, count } = parseId(id);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (text(fields[i]!) === "e") return unpackBody(topic, last, count, fields[i + 1]!);
  }
  throw new SyntaxError(`Switchboard: a stream entry of ${topic} without events`);
}

/** The first seq held by a stream entry. */
function firstOf([id]: StreamEntry): number {
  const { last, count } = parseId(id);
  return last - count + 1;
}

function publishError(topic: string, error: unknown): Error {
  return new Error(
    `Switchboard: the Redis backplane could not publish on ${topic}: ${message(error)}`,
    { cause: error },
  );
}

function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, "\\$&");
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
