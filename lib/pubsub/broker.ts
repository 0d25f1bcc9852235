/**
 * The broker: a server's pub/sub front. It validates topics, authorizes, and composes the
 * parts that have their own homes: the subscriptions and their groups
 * (lib/pubsub/subscriptions.ts), replay on subscribe (lib/pubsub/resume.ts), fan-out of
 * backplane events to local subscriptions and the runtime's own fan-out
 * (lib/pubsub/fanout.ts), writing to connections (lib/pubsub/delivery.ts) and lazy
 * publishers (lib/pubsub/lazy.ts). Runtime-neutral; it sees a connection as a
 * {@linkcode Subscriber} and events only through a {@linkcode Backplane}.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { ConnectionInfo } from "../router/registry.ts";
import { allow, type AuthorizeRequest, defaultAuthorize } from "./authorize.ts";
import type { Backplane, BackplaneStream } from "./backplane.ts";
import { Delivery, encodeEvent } from "./delivery.ts";
import { Fanout } from "./fanout.ts";
import { LazyTopics, type TopicStart } from "./lazy.ts";
import { type PubSubLimits, resolvePubSubLimits } from "./limits.ts";
import { MemoryBackplane } from "./memory_backplane.ts";
import type { SubscribeResult } from "./protocol.ts";
import type { ReplayOptions } from "./replay.ts";
import { replayAgain, replayNew } from "./resume.ts";
import { findSub } from "./sub_table.ts";
import type { Sub, Subscriber } from "./subscriber.ts";
import { Subscriptions, type TopicCount } from "./subscriptions.ts";
import { containsBlob, prereadBlobs } from "../framing/encoded.ts";
import { isPattern, validateTopic } from "./topic_name.ts";

export type { Subscriber } from "./subscriber.ts";
export type { AuthorizeRequest } from "./authorize.ts";
export type { TopicCount } from "./subscriptions.ts";

/**
 * Options of a {@linkcode Broker} (the `pubsub` option of a Switchboard).
 *
 * @example Types only
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
  readonly #subs: Subscriptions;
  readonly #lazy: LazyTopics;
  readonly #delivery: Delivery;
  readonly #fanout: Fanout;

  /** @param options Backplane, replay, limits, authorization. */
  constructor(options: BrokerOptions = {}) {
    this.limits = resolvePubSubLimits(options.limits);
    this.#backplane = options.backplane ??
      new MemoryBackplane(options.replay === undefined ? {} : { replay: options.replay });
    this.#authorize = options.authorize ?? defaultAuthorize;
    this.#onError = options.onError;
    const report = (error: unknown, where: string): void => this.#report(error, where);
    this.#delivery = new Delivery(report);
    this.#stream = this.#backplane.stream((event) => this.#fanout.deliver(event));
    this.#lazy = new LazyTopics(
      (topic, data) => this.#settle(this.#backplane.publish(topic, data), topic),
      report,
    );
    this.#subs = new Subscriptions(this.limits.maxSubscriptions, this.#stream, this.#lazy);
    this.#fanout = new Fanout(this.#subs, this.#delivery, options.runtimeFanout ?? true, report);
  }

  /**
   * Start serving a connection.
   *
   * @param subscriber The connection.
   */
  attach(subscriber: Subscriber): void {
    this.#subs.attach(subscriber);
  }

  /**
   * Forget a connection (it closed): drop its subscriptions, stop lazy publishers left
   * without subscribers.
   *
   * @param id The connection id.
   */
  detach(id: string): void {
    this.#subs.detach(id);
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
    const subs = this.#subs;
    const conn = subs.connection(id);
    const name = validateTopic(topic, this.limits, true);
    const pattern = isPattern(name);
    if (since !== undefined) {
      if (typeof since !== "number" || !Number.isSafeInteger(since) || since < 0) {
        throw invalidParams("since must be an integer >= 0");
      }
      if (pattern) throw invalidParams("since needs an exact topic, not a pattern");
    }
    const resumeFrom = since as number | undefined;
    const existing = findSub(conn.subs, name);
    if (existing !== undefined) return await this.#again(existing, resumeFrom);
    subs.checkCount(conn);
    await allow(this.#authorize, {
      action: "subscribe",
      topic: name,
      connection: conn.subscriber.info,
    });
    if (conn.closed) throw new RpcError(ErrorCode.ConnectionClosed, "Connection closed");
    const again = findSub(conn.subs, name);
    if (again !== undefined) return await this.#again(again, resumeFrom);
    subs.checkCount(conn);
    const sub: Sub = {
      conn,
      key: name,
      exact: !pattern,
      lastSeq: 0,
      queue: pattern ? undefined : [],
    };
    if (pattern) {
      const group = subs.addPattern(sub);
      if (group.ready !== undefined) {
        // A remote backplane: events published once this resolves reach the subscriber.
        await group.ready.catch((error) => {
          subs.remove(sub);
          throw error;
        });
      }
      return { topic: name, seq: 0 };
    }
    const { group, first } = subs.addExact(sub);
    let result: SubscribeResult;
    try {
      if (group.ready !== undefined) await group.ready;
      result = await replayNew(this.#backplane, this.#delivery, sub, resumeFrom);
    } catch (error) {
      subs.remove(sub);
      throw error;
    }
    const queued = sub.queue!;
    sub.queue = undefined;
    for (const event of queued) this.#delivery.emit(sub, event);
    if (subs.exact.get(name) !== group) return result;
    this.#fanout.toRuntime(group, sub);
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
    const conn = this.#subs.connection(id);
    const sub = typeof topic === "string" ? findSub(conn.subs, topic) : undefined;
    if (sub === undefined) return false;
    this.#subs.remove(sub);
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
    await allow(this.#authorize, { action: "publish", topic: name, connection });
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
    const conn = this.#subs.record(id);
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
    return this.#subs.subscriberCount(topic);
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
    return this.#subs.topics();
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
    const conn = this.#subs.recordOf(id);
    if (conn !== undefined) this.#fanout.codecChanging(conn);
  }

  /** Stop lazy publishers, close the backplane. */
  async close(): Promise<void> {
    this.#lazy.stopAll();
    this.#stream.close();
    await this.#backplane.close();
  }

  /** A subscribe for what the connection already holds: replay on request, same answer. */
  #again(sub: Sub, since: number | undefined): Promise<SubscribeResult> {
    return replayAgain(this.#backplane, this.#delivery, sub, since, this.#fanout.lastSeq(sub));
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

function invalidParams(reason: string): RpcError {
  return new RpcError(ErrorCode.InvalidParams, "Invalid params", { reason });
}
