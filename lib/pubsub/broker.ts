/**
 * The broker: subscriptions per connection, fan-out of backplane events, lazy publishers,
 * authorization, replay on resume and the slow-consumer policy. Runtime-neutral; it sees a
 * connection as a {@linkcode Subscriber} and events only through a {@linkcode Backplane}.
 *
 * @module
 */

import { addSub, findSub, removeSub, subCount, subsOf, type SubTable } from "./sub_table.ts";
import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { ConnectionInfo } from "../router/registry.ts";
import type { Backplane, BackplaneStream } from "./backplane.ts";
import { LazyTopics, type TopicStart } from "./lazy.ts";
import { type PubSubLimits, resolvePubSubLimits } from "./limits.ts";
import { MemoryBackplane } from "./memory_backplane.ts";
import { Pattern } from "./pattern.ts";
import { PubSubErrorCode, type SubscribeResult } from "./protocol.ts";
import type { ReplayOptions, TopicEvent } from "./replay.ts";
import { type Connection, Delivery, encodeEvent, type Sub, type Subscriber } from "./delivery.ts";
import { containsBlob, prereadBlobs } from "../framing/encoded.ts";

export type { Subscriber } from "./delivery.ts";
import { isPattern, validateTopic } from "./topic_name.ts";
import { RuntimeGroup } from "./runtime_fanout.ts";

/**
 * What an authorization hook is asked.
 *
 * @example
 * ```ts
 * import type { AuthorizeRequest } from "./broker.ts";
 * const allowChat = (r: AuthorizeRequest): boolean =>
 *   r.action === "subscribe" || r.topic.startsWith("chat.");
 * if (!allowChat({ action: "publish", topic: "chat.x", connection: { id: "1", headers: new Headers(), data: {} } })) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export interface AuthorizeRequest {
  /** What the connection wants to do. */
  readonly action: "subscribe" | "publish";
  /** The topic, or for a subscription possibly a pattern. */
  readonly topic: string;
  /** The connection asking. */
  readonly connection: ConnectionInfo;
}

/**
 * Options of a {@linkcode Broker} (the `pubsub` option of a Switchboard).
 *
 * @example
 * ```ts
 * import type { BrokerOptions } from "./broker.ts";
 * const options: BrokerOptions = {
 *   replay: { size: 100, maxAge: 60_000 },
 *   authorize: ({ action, topic }) => action === "subscribe" || topic.startsWith("chat."),
 * };
 * if (options.replay?.size !== 100) throw new Error("unreachable");
 * ```
 */
export interface BrokerOptions {
  /** Carries events between processes. Default: a {@linkcode MemoryBackplane}. */
  readonly backplane?: Backplane;
  /** History per topic for the default memory backplane. Default: none (replay off). */
  readonly replay?: ReplayOptions;
  /** Limits; see {@linkcode PubSubLimits}. */
  readonly limits?: Partial<PubSubLimits>;
  /**
   * Who may subscribe and publish. Return false to refuse with -32006, or throw an
   * RpcError of your choosing. Default: anyone may subscribe, no client may publish.
   */
  readonly authorize?: (request: AuthorizeRequest) => boolean | Promise<boolean>;
  /** Receives failures nobody awaits (a lazy publisher that threw, an unencodable event). */
  readonly onError?: (error: unknown, where: string) => void;
  /**
   * Let the runtime's own topic fan-out (Bun's `server.publish`) deliver exact topics to
   * subscribers it can serve exactly like the broker's loop (lib/pubsub/runtime_fanout.ts).
   * Default true; it only applies where the connection offers it (Bun's adapter).
   */
  readonly runtimeFanout?: boolean;
}

/**
 * A topic or pattern with subscribers, as listed by {@linkcode Broker.topics}.
 *
 * @example
 * ```ts
 * import type { TopicCount } from "./broker.ts";
 * const row: TopicCount = { topic: "chat.*", pattern: true, subscribers: 2, runtime: 0 };
 * if (!row.pattern) throw new Error("unreachable");
 * ```
 */
export interface TopicCount {
  /** The exact topic or the pattern subscribed to. */
  readonly topic: string;
  /** True for a pattern. */
  readonly pattern: boolean;
  /** Connections subscribed to it on this process. */
  readonly subscribers: number;
  /** How many of them the runtime's own fan-out reaches (Bun; see `runtimeFanout`). */
  readonly runtime: number;
}

interface PatternGroup {
  readonly pattern: Pattern;
  readonly subs: Set<Sub>;
  /** The backplane's subscription, while a remote engine acknowledges it. */
  ready: Promise<void> | void;
}

/** The subscriptions of an exact topic: written by the broker, or reached by the runtime. */
interface ExactGroup {
  readonly subs: Set<Sub>;
  runtime: RuntimeGroup | undefined;
  /** The backplane's subscription, while a remote engine acknowledges it. */
  ready: Promise<void> | void;
}

/** Distinguishes the runtime topic names of brokers that share one runtime server. */
let brokers = 0;

function defaultAuthorize(request: AuthorizeRequest): boolean {
  return request.action === "subscribe";
}

/**
 * Topics for the connections of one server.
 *
 * @example Publish to one attached connection
 * ```ts
 * import { Broker } from "./broker.ts";
 * import { jsonCodec } from "../codec/json.ts";
 * const broker = new Broker();
 * const frames: string[] = [];
 * broker.attach({
 *   info: { id: "c1", headers: new Headers(), data: {} },
 *   codec: jsonCodec,
 *   send: (f) => void frames.push(String(f)),
 *   bufferedAmount: () => 0,
 *   close() {},
 * });
 * await broker.subscribe("c1", "news.*");
 * await broker.publish("news.today", "hello");
 * if (JSON.parse(frames[0]!).params.data !== "hello") throw new Error("unreachable");
 * if (broker.delivered !== 1 || broker.topics()[0]!.subscribers !== 1) throw new Error("x");
 * await broker.close();
 * ```
 */
export class Broker {
  /** The limits in force. */
  readonly limits: PubSubLimits;
  readonly #backplane: Backplane;
  readonly #stream: BackplaneStream;
  readonly #authorize: (request: AuthorizeRequest) => boolean | Promise<boolean>;
  readonly #onError: ((error: unknown, where: string) => void) | undefined;
  /**
   * Every attached connection, one map entry each: the subscriber itself while it has never
   * subscribed nor been sent an event, then the broker's record of it (see `#record`).
   */
  readonly #connections = new Map<string, Subscriber | Connection>();
  readonly #exact = new Map<string, ExactGroup>();
  readonly #patterns = new Map<string, PatternGroup>();
  readonly #lazy: LazyTopics;
  readonly #delivery: Delivery;
  readonly #runtimeFanout: boolean;
  /** Prefix of this broker's topic names in the runtime's fan-out. */
  readonly #runtimePrefix = `switchboard:${++brokers}:`;

  /** @param options Backplane, replay, limits, authorization. */
  constructor(options: BrokerOptions = {}) {
    this.limits = resolvePubSubLimits(options.limits);
    this.#backplane = options.backplane ??
      new MemoryBackplane(options.replay === undefined ? {} : { replay: options.replay });
    this.#authorize = options.authorize ?? defaultAuthorize;
    this.#onError = options.onError;
    this.#runtimeFanout = options.runtimeFanout ?? true;
    this.#delivery = new Delivery((error, where) => this.#report(error, where));
    this.#stream = this.#backplane.stream((event) => this.#deliver(event));
    this.#lazy = new LazyTopics(
      (topic, data) => this.#settle(this.#backplane.publish(topic, data), topic),
      (error, where) => this.#report(error, where),
    );
  }

  /**
   * Start serving a connection.
   *
   * @param subscriber The connection.
   */
  attach(subscriber: Subscriber): void {
    this.#connections.set(subscriber.info.id, subscriber);
  }

  /**
   * Forget a connection (it closed): drop its subscriptions, stop lazy publishers left
   * without subscribers.
   *
   * @param id The connection id.
   */
  detach(id: string): void {
    const conn = this.#recordOf(id);
    this.#connections.delete(id);
    if (conn === undefined) return;
    conn.closed = true;
    for (const sub of subsOf(conn.subs)) this.#remove(sub);
  }

  /**
   * Subscribe a connection to a topic or pattern, replaying what it missed after `since`.
   * Replayed events are sent before this resolves; live events follow, without duplicates.
   *
   * @param id The connection id.
   * @param topic A topic or pattern.
   * @param since The last sequence number the connection saw (exact topics only).
   * @returns The subscription's starting point, replay count or gap.
   * @throws {RpcError} -32602 bad topic or since, -32005 a limit, -32006 refused, -32004
   * not a WebSocket connection.
   */
  async subscribe(id: string, topic: unknown, since?: unknown): Promise<SubscribeResult> {
    const conn = this.#connection(id);
    const name = validateTopic(topic, this.limits, true);
    const pattern = isPattern(name);
    if (since !== undefined) {
      if (typeof since !== "number" || !Number.isSafeInteger(since) || since < 0) {
        throw invalidParams("since must be an integer >= 0");
      }
      if (pattern) throw invalidParams("since needs an exact topic, not a pattern");
    }
    const existing = findSub(conn.subs, name);
    if (existing !== undefined) return await this.#again(existing, since as number | undefined);
    this.#checkCount(conn);
    await this.#allow("subscribe", name, conn.subscriber.info);
    if (conn.closed) throw new RpcError(ErrorCode.ConnectionClosed, "Connection closed");
    const again = findSub(conn.subs, name);
    if (again !== undefined) return await this.#again(again, since as number | undefined);
    this.#checkCount(conn);
    const sub: Sub = {
      conn,
      key: name,
      exact: !pattern,
      lastSeq: 0,
      queue: pattern ? undefined : [],
    };
    conn.subs = addSub(conn.subs, sub);
    if (pattern) {
      let group = this.#patterns.get(name);
      const first = group === undefined;
      if (group === undefined) {
        group = { pattern: new Pattern(name), subs: new Set(), ready: undefined };
        this.#patterns.set(name, group);
        group.ready = this.#stream.add(name);
      }
      group.subs.add(sub);
      if (first) this.#lazy.startMatching(group.pattern);
      if (group.ready !== undefined) {
        // A remote backplane: events published once this resolves reach the subscriber.
        await group.ready.catch((error) => {
          this.#remove(sub);
          throw error;
        });
      }
      return { topic: name, seq: 0 };
    }
    let group = this.#exact.get(name);
    const first = group === undefined;
    if (group === undefined) {
      group = { subs: new Set(), runtime: undefined, ready: undefined };
      this.#exact.set(name, group);
      group.ready = this.#stream.add(name);
    }
    group.subs.add(sub);
    let result: SubscribeResult;
    try {
      if (group.ready !== undefined) await group.ready;
      const replay = await this.#backplane.replay(name, since as number | undefined);
      if ("gap" in replay) {
        sub.lastSeq = replay.gap.seq;
        result = { topic: name, seq: replay.gap.seq, gap: replay.gap };
      } else {
        sub.lastSeq = since ?? replay.seq;
        for (const event of replay.events) this.#delivery.emit(sub, event);
        result = since === undefined
          ? { topic: name, seq: replay.seq }
          : { topic: name, seq: replay.seq, replayed: replay.events.length };
      }
    } catch (error) {
      this.#remove(sub);
      throw error;
    }
    const queued = sub.queue!;
    sub.queue = undefined;
    for (const event of queued) this.#delivery.emit(sub, event);
    if (this.#exact.get(name) !== group) return result;
    this.#toRuntime(group, sub);
    if (first) this.#lazy.start(name);
    return result;
  }

  /**
   * Drop a connection's subscription.
   *
   * @param id The connection id.
   * @param topic The topic or pattern it subscribed to.
   * @returns Whether it was subscribed.
   */
  unsubscribe(id: string, topic: unknown): boolean {
    const conn = this.#connection(id);
    const sub = typeof topic === "string" ? findSub(conn.subs, topic) : undefined;
    if (sub === undefined) return false;
    this.#remove(sub);
    return true;
  }

  /**
   * Publish an event to every subscriber of the topic (through the backplane).
   *
   * @param topic An exact topic.
   * @param data The data.
   * @param exclude A connection id that must not receive it.
   * @returns The event's sequence number.
   * @throws {RpcError} -32602 or -32005 for a bad topic name.
   */
  publish(topic: string, data: unknown, exclude?: string): number | Promise<number> {
    validateTopic(topic, this.limits);
    // Blobs are read before the event is sequenced, so every subscriber's frames can be
    // built synchronously, in order, once per codec.
    if (containsBlob(data)) {
      return prereadBlobs(data).then(() => this.#backplane.publish(topic, data, exclude));
    }
    return this.#backplane.publish(topic, data, exclude);
  }

  /**
   * Publish on behalf of a connection: authorization, then publisher exclusion unless `echo`.
   *
   * @param connection The publishing connection.
   * @param topic The topic.
   * @param data The data.
   * @param echo Deliver to the publisher too.
   * @returns The sequence number.
   */
  async publishFrom(
    connection: ConnectionInfo,
    topic: unknown,
    data: unknown,
    echo: boolean,
  ): Promise<number> {
    const name = validateTopic(topic, this.limits);
    await this.#allow("publish", name, connection);
    await prereadBlobs(data);
    return await this.#backplane.publish(name, data, echo ? undefined : connection.id);
  }

  /**
   * Send an event to one connection only (no sequence number, not replayed).
   *
   * @param id The connection id.
   * @param topic An exact topic.
   * @param data The data.
   * @returns False if the connection is not attached (or was closed as a slow consumer).
   * @throws {RpcError} -32602 or -32005 for a bad topic name.
   */
  sendEvent(id: string, topic: string, data: unknown): boolean {
    validateTopic(topic, this.limits);
    const conn = this.#record(id);
    if (conn === undefined) return false;
    return this.#delivery.writeEncoded(
      conn,
      encodeEvent(conn.subscriber.codec, topic, undefined, data),
      { topic, seq: undefined },
    );
  }

  /**
   * Register a lazy publisher.
   *
   * @param name An exact topic or a pattern (`ticker.*`).
   * @param start Runs when an exact topic it covers gets its first subscriber here.
   * @returns A function that unregisters it.
   */
  topic(name: string, start: TopicStart): () => void {
    validateTopic(name, this.limits, true);
    if (typeof start !== "function") {
      throw new TypeError(`Switchboard: the start of topic ${name} must be a function`);
    }
    return this.#lazy.add(name, start);
  }

  /**
   * How many connections subscribe to an exact topic on this process.
   *
   * @param topic The topic.
   * @returns The count.
   */
  subscriberCount(topic: string): number {
    const group = this.#exact.get(topic);
    return group === undefined ? 0 : group.subs.size + (group.runtime?.subs.size ?? 0);
  }

  /**
   * Events written to connections by this broker since it started (one per subscriber
   * reached, `sendEvent`s included). For metrics.
   *
   * @returns The count.
   */
  get delivered(): number {
    return this.#delivery.delivered;
  }

  /**
   * The topics and patterns that have subscribers on this process, with their counts, in
   * no particular order.
   *
   * @returns One entry per exact topic or pattern.
   */
  topics(): TopicCount[] {
    const out: TopicCount[] = [];
    for (const topic of this.#exact.keys()) {
      out.push({
        topic,
        pattern: false,
        subscribers: this.subscriberCount(topic),
        runtime: this.#exact.get(topic)!.runtime?.subs.size ?? 0,
      });
    }
    for (const [topic, group] of this.#patterns) {
      out.push({ topic, pattern: true, subscribers: group.subs.size, runtime: 0 });
    }
    return out;
  }

  /** Stop lazy publishers, close the backplane. */
  async close(): Promise<void> {
    this.#lazy.stopAll();
    this.#stream.close();
    await this.#backplane.close();
  }

  /** The record of an attached connection, if it has one yet. */
  #recordOf(id: string): Connection | undefined {
    const entry = this.#connections.get(id);
    return entry !== undefined && isRecord(entry) ? entry : undefined;
  }

  /** The record of an attached connection, made on first need. */
  #record(id: string): Connection | undefined {
    const entry = this.#connections.get(id);
    if (entry === undefined || isRecord(entry)) return entry;
    const made = new ConnectionRecord(entry);
    this.#connections.set(id, made);
    return made;
  }

  #connection(id: string): Connection {
    const conn = this.#record(id);
    if (conn === undefined) {
      throw new RpcError(
        ErrorCode.Unsupported,
        "Unsupported",
        "Subscriptions need a WebSocket connection",
      );
    }
    return conn;
  }

  #checkCount(conn: Connection): void {
    if (subCount(conn.subs) >= this.limits.maxSubscriptions) {
      throw new RpcError(ErrorCode.LimitExceeded, "Limit exceeded", {
        reason: `More than ${this.limits.maxSubscriptions} subscriptions on this connection`,
      });
    }
  }

  async #allow(action: "subscribe" | "publish", topic: string, info: ConnectionInfo) {
    if (await this.#authorize({ action, topic, connection: info })) return;
    throw new RpcError(PubSubErrorCode.Forbidden, "Forbidden", { action, topic });
  }

  #remove(sub: Sub): void {
    const conn = sub.conn;
    if (!removeSub(conn.subs, sub)) return;
    const group = this.#patterns.get(sub.key);
    if (group !== undefined) {
      group.subs.delete(sub);
      if (group.subs.size === 0) {
        this.#patterns.delete(sub.key);
        this.#stream.remove(sub.key);
        for (const topic of this.#lazy.runningTopics()) {
          if (group.pattern.matches(topic) && !this.#wanted(topic)) this.#lazy.stop(topic);
        }
      }
      return;
    }
    const exact = this.#exact.get(sub.key);
    if (exact === undefined) return;
    const runtime = exact.runtime;
    if (!exact.subs.delete(sub) && runtime !== undefined && runtime.remove(sub)) {
      if (runtime.subs.size === 0) exact.runtime = undefined;
    }
    if (exact.subs.size === 0 && exact.runtime === undefined) {
      this.#exact.delete(sub.key);
      this.#stream.remove(sub.key);
      if (!this.#wanted(sub.key)) this.#lazy.stop(sub.key);
    }
  }

  /** Whether a topic has a subscriber: exact, or through a pattern (its lazy publisher runs). */
  #wanted(topic: string): boolean {
    if (this.#exact.has(topic)) return true;
    for (const group of this.#patterns.values()) if (group.pattern.matches(topic)) return true;
    return false;
  }

  /**
   * Answer a subscribe for a topic or pattern the connection already holds. The live
   * subscription is untouched; with `since` (exact topics) the events after it are replayed
   * before the answer, or the answer carries the gap, as for a new subscription. Replayed
   * events may repeat events the subscription delivered live: the client asked for them.
   */
  async #again(sub: Sub, since: number | undefined): Promise<SubscribeResult> {
    const topic = sub.key;
    if (since === undefined) return { topic, seq: sub.exact ? this.#lastSeq(sub) : 0 };
    const replay = await this.#backplane.replay(topic, since);
    if ("gap" in replay) return { topic, seq: replay.gap.seq, gap: replay.gap };
    const conn = sub.conn;
    for (const event of replay.events) {
      if (conn.closed || event.exclude === conn.subscriber.info.id) continue;
      const encoded = this.#delivery.encode(conn.subscriber.codec, event);
      if (encoded !== undefined) this.#delivery.writeEncoded(conn, encoded, event);
    }
    return { topic, seq: replay.seq, replayed: replay.events.length };
  }

  /** A subscription's last sequence number (kept by its runtime group while it has one). */
  #lastSeq(sub: Sub): number {
    const runtime = sub.exact ? this.#exact.get(sub.key)?.runtime : undefined;
    return runtime !== undefined && runtime.subs.has(sub) ? runtime.lastSeq : sub.lastSeq;
  }

  /** Hand a subscription whose replay is done to the runtime's fan-out, where it fits. */
  #toRuntime(group: ExactGroup, sub: Sub): void {
    const subscriber = sub.conn.subscriber;
    const port = subscriber.fanout;
    if (!this.#runtimeFanout || port === undefined) return;
    const codec = subscriber.codec;
    const runtime = group.runtime;
    try {
      if (runtime === undefined) {
        group.runtime = new RuntimeGroup(this.#runtimePrefix + sub.key, sub, port, codec);
      } else if (runtime.accepts(sub, port, codec)) {
        runtime.add(sub, port);
      } else {
        return;
      }
    } catch (error) {
      // The socket could not join (it is closing): the broker's loop keeps it.
      this.#report(error, `runtime fan-out ${sub.key}`);
      return;
    }
    group.subs.delete(sub);
  }

  /**
   * A connection's codec is about to change (`rpc.hello`): its subscriptions leave the
   * runtime's fan-out, whose frames are encoded once for the old codec, for the broker's loop.
   *
   * @param id The connection id.
   * @example
   * ```ts
   * import { Broker } from "./broker.ts";
   * new Broker().codecChanging("no-such-connection");
   * ```
   */
  codecChanging(id: string): void {
    const conn = this.#recordOf(id);
    if (conn === undefined) return;
    for (const sub of subsOf(conn.subs)) {
      const group = sub.exact ? this.#exact.get(sub.key) : undefined;
      const runtime = group?.runtime;
      if (runtime === undefined || !runtime.remove(sub)) continue;
      group!.subs.add(sub);
      if (runtime.subs.size === 0) group!.runtime = undefined;
    }
  }

  /** Deliver an event through the runtime's fan-out to the subscriptions it holds. */
  #runtimeSend(runtime: RuntimeGroup, event: TopicEvent): void {
    if (event.seq <= runtime.lastSeq) return;
    const delivery = this.#delivery;
    const encoded = delivery.encode(runtime.codec, event);
    if (encoded === undefined) return;
    const frame = encoded.text;
    if (frame === undefined) {
      // Binary attachments: frames the runtime cannot publish as one text frame.
      runtime.lastSeq = event.seq;
      for (const sub of runtime.subs) {
        if (sub.conn.subscriber.info.id !== event.exclude) {
          delivery.writeEncoded(sub.conn, encoded, event);
        }
      }
      return;
    }
    let except: Sub | undefined;
    if (event.exclude !== undefined) {
      const publisher = this.#recordOf(event.exclude);
      const sub = publisher === undefined ? undefined : findSub(publisher.subs, event.topic);
      if (sub !== undefined && runtime.subs.has(sub)) except = sub;
    }
    let due: boolean;
    try {
      due = runtime.publish(event.seq, frame, except);
    } catch (error) {
      this.#report(error, "send event");
      return;
    }
    delivery.delivered += except === undefined ? runtime.subs.size : runtime.subs.size - 1;
    if (due) { for (const sub of runtime.subs) delivery.watch(sub.conn); }
  }

  #deliver(event: TopicEvent): void {
    let matched: PatternGroup[] | undefined;
    for (const group of this.#patterns.values()) {
      if (group.pattern.matches(event.topic)) (matched ??= []).push(group);
    }
    const exact = this.#exact.get(event.topic);
    if (matched === undefined) {
      if (exact === undefined) return;
      for (const sub of exact.subs) this.#delivery.send(sub, event);
      if (exact.runtime !== undefined) this.#runtimeSend(exact.runtime, event);
      return;
    }
    const reached = new Set<Connection>();
    if (exact !== undefined) {
      for (const sub of exact.subs) {
        reached.add(sub.conn);
        this.#delivery.send(sub, event);
      }
      if (exact.runtime !== undefined) {
        for (const sub of exact.runtime.subs) reached.add(sub.conn);
        this.#runtimeSend(exact.runtime, event);
      }
    }
    for (const group of matched) {
      for (const sub of group.subs) {
        if (reached.has(sub.conn)) continue;
        reached.add(sub.conn);
        this.#delivery.send(sub, event);
      }
    }
  }

  #settle(seq: number | Promise<number>, topic: string): void {
    if (seq instanceof Promise) seq.catch((error) => this.#report(error, `publish ${topic}`));
  }

  #report(error: unknown, where: string): void {
    try {
      this.#onError?.(error, where);
    } catch {
      // A broken reporter must not break delivery; there is nowhere left to report.
    }
  }
}

/** The broker's record of a connection that subscribed or was sent an event. */
class ConnectionRecord implements Connection {
  readonly subscriber: Subscriber;
  subs: SubTable = [];
  closed = false;

  constructor(subscriber: Subscriber) {
    this.subscriber = subscriber;
  }
}

/** Whether a connection entry is the broker's record or still the bare subscriber. */
function isRecord(entry: Subscriber | Connection): entry is Connection {
  return entry instanceof ConnectionRecord;
}

function invalidParams(reason: string): RpcError {
  return new RpcError(ErrorCode.InvalidParams, "Invalid params", { reason });
}
