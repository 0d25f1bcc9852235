/**
 * The broker's subscriptions: one record per attached connection, the groups of exact topics
 * and patterns they form, and the per-connection limit. Adding the first subscription of a
 * topic or pattern subscribes the backplane stream and starts lazy publishers; removing the
 * last one stops them.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { BackplaneStream } from "./backplane.ts";
import type { LazyTopics } from "./lazy.ts";
import { Pattern } from "./pattern.ts";
import type { RuntimeGroup } from "./runtime_fanout.ts";
import { addSub, removeSub, subCount, subsOf } from "./sub_table.ts";
import type { Connection, Sub, Subscriber, SubTable } from "./subscriber.ts";

/**
 * The subscriptions of one pattern.
 *
 * @example Types only
 * ```ts
 * import type { PatternGroup } from "./subscriptions.ts";
 * const size = (group: PatternGroup): number => group.subs.size;
 * if (typeof size !== "function") throw new Error("unreachable");
 * ```
 */
export interface PatternGroup {
  /** The pattern. */
  readonly pattern: Pattern;
  /** Its subscriptions. */
  readonly subs: Set<Sub>;
  /** The backplane's subscription, while a remote engine acknowledges it. */
  ready: Promise<void> | void;
}

/**
 * The subscriptions of an exact topic: written by the broker, or reached by the runtime.
 *
 * @example Types only
 * ```ts
 * import type { ExactGroup } from "./subscriptions.ts";
 * const size = (group: ExactGroup): number => group.subs.size + (group.runtime?.subs.size ?? 0);
 * if (typeof size !== "function") throw new Error("unreachable");
 * ```
 */
export interface ExactGroup {
  /** The subscriptions the broker's loop writes to. */
  readonly subs: Set<Sub>;
  /** The subscriptions the runtime's fan-out reaches, if any. */
  runtime: RuntimeGroup | undefined;
  /** The backplane's subscription, while a remote engine acknowledges it. */
  ready: Promise<void> | void;
}

/**
 * A topic or pattern with subscribers, as listed by `Broker.topics()`.
 *
 * @example Types only
 * ```ts
 * import type { TopicCount } from "./subscriptions.ts";
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

/**
 * The subscriptions of a broker's connections.
 *
 * @example
 * ```ts
 * import { Subscriptions } from "./subscriptions.ts";
 * import { LazyTopics } from "./lazy.ts";
 * import { MemoryBackplane } from "./memory_backplane.ts";
 * import { jsonCodec } from "../codec/json.ts";
 * const stream = new MemoryBackplane().stream(() => {});
 * const subs = new Subscriptions(4, stream, new LazyTopics(() => {}, () => {}));
 * subs.attach({
 *   info: { id: "c1", headers: new Headers(), data: {} },
 *   codec: jsonCodec,
 *   send() {},
 *   bufferedAmount: () => 0,
 *   close() {},
 * });
 * const conn = subs.connection("c1");
 * const sub = { conn, key: "news", exact: true, lastSeq: 0, queue: undefined };
 * subs.addExact(sub);
 * if (subs.subscriberCount("news") !== 1) throw new Error("unreachable");
 * subs.remove(sub);
 * if (subs.topics().length !== 0) throw new Error("unreachable");
 * ```
 */
export class Subscriptions {
  /** The groups of exact topics. */
  readonly exact: Map<string, ExactGroup> = new Map();
  /** The groups of patterns. */
  readonly patterns: Map<string, PatternGroup> = new Map();
  readonly #max: number;
  readonly #stream: BackplaneStream;
  readonly #lazy: LazyTopics;
  /**
   * Every attached connection, one map entry each: the subscriber itself while it has never
   * subscribed nor been sent an event, then the broker's record of it (see `record`).
   */
  readonly #connections = new Map<string, Subscriber | Connection>();

  /**
   * @param maxSubscriptions Subscriptions a connection may hold.
   * @param stream The backplane stream topics are added to and removed from.
   * @param lazy The lazy publishers started and stopped with their topics.
   */
  constructor(maxSubscriptions: number, stream: BackplaneStream, lazy: LazyTopics) {
    this.#max = maxSubscriptions;
    this.#stream = stream;
    this.#lazy = lazy;
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
   * Forget a connection and drop its subscriptions.
   *
   * @param id The connection id.
   */
  detach(id: string): void {
    const conn = this.recordOf(id);
    this.#connections.delete(id);
    if (conn === undefined) return;
    conn.closed = true;
    for (const sub of subsOf(conn.subs)) this.remove(sub);
  }

  /**
   * The record of an attached connection, if it has one yet.
   *
   * @param id The connection id.
   * @returns The record.
   */
  recordOf(id: string): Connection | undefined {
    const entry = this.#connections.get(id);
    return entry !== undefined && isRecord(entry) ? entry : undefined;
  }

  /**
   * The record of an attached connection, made on first need.
   *
   * @param id The connection id.
   * @returns The record, or undefined when the connection is not attached.
   */
  record(id: string): Connection | undefined {
    const entry = this.#connections.get(id);
    if (entry === undefined || isRecord(entry)) return entry;
    const made = new ConnectionRecord(entry);
    this.#connections.set(id, made);
    return made;
  }

  /**
   * The record of a connection that may subscribe.
   *
   * @param id The connection id.
   * @returns The record.
   * @throws {RpcError} -32004 when it is not attached (not a WebSocket connection).
   */
  connection(id: string): Connection {
    const conn = this.record(id);
    if (conn === undefined) {
      throw new RpcError(
        ErrorCode.Unsupported,
        "Unsupported",
        "Subscriptions need a WebSocket connection",
      );
    }
    return conn;
  }

  /**
   * Refuse one more subscription past the limit.
   *
   * @param conn The connection.
   * @throws {RpcError} -32005 when it holds `maxSubscriptions` already.
   */
  checkCount(conn: Connection): void {
    if (subCount(conn.subs) >= this.#max) {
      throw new RpcError(ErrorCode.LimitExceeded, "Limit exceeded", {
        reason: `More than ${this.#max} subscriptions on this connection`,
      });
    }
  }

  /**
   * Add a pattern subscription to its connection and group.
   *
   * @param sub The subscription.
   * @returns Its group.
   */
  addPattern(sub: Sub): PatternGroup {
    sub.conn.subs = addSub(sub.conn.subs, sub);
    const name = sub.key;
    let group = this.patterns.get(name);
    const first = group === undefined;
    if (group === undefined) {
      group = { pattern: new Pattern(name), subs: new Set(), ready: undefined };
      this.patterns.set(name, group);
      group.ready = this.#stream.add(name);
    }
    group.subs.add(sub);
    if (first) this.#lazy.startMatching(group.pattern);
    return group;
  }

  /**
   * Add an exact subscription to its connection and group.
   *
   * @param sub The subscription.
   * @returns Its group, and whether it is the topic's first here.
   */
  addExact(sub: Sub): { group: ExactGroup; first: boolean } {
    sub.conn.subs = addSub(sub.conn.subs, sub);
    const name = sub.key;
    let group = this.exact.get(name);
    const first = group === undefined;
    if (group === undefined) {
      group = { subs: new Set(), runtime: undefined, ready: undefined };
      this.exact.set(name, group);
      group.ready = this.#stream.add(name);
    }
    group.subs.add(sub);
    return { group, first };
  }

  /**
   * Drop a subscription; the last of a topic or pattern stops its stream and publishers.
   *
   * @param sub The subscription.
   */
  remove(sub: Sub): void {
    const conn = sub.conn;
    if (!removeSub(conn.subs, sub)) return;
    const group = this.patterns.get(sub.key);
    if (group !== undefined) {
      group.subs.delete(sub);
      if (group.subs.size === 0) {
        this.patterns.delete(sub.key);
        this.#stream.remove(sub.key);
        for (const topic of this.#lazy.runningTopics()) {
          if (group.pattern.matches(topic) && !this.#wanted(topic)) this.#lazy.stop(topic);
        }
      }
      return;
    }
    const exact = this.exact.get(sub.key);
    if (exact === undefined) return;
    const runtime = exact.runtime;
    if (!exact.subs.delete(sub) && runtime !== undefined && runtime.remove(sub)) {
      if (runtime.subs.size === 0) exact.runtime = undefined;
    }
    if (exact.subs.size === 0 && exact.runtime === undefined) {
      this.exact.delete(sub.key);
      this.#stream.remove(sub.key);
      if (!this.#wanted(sub.key)) this.#lazy.stop(sub.key);
    }
  }

  /**
   * How many connections subscribe to an exact topic on this process.
   *
   * @param topic The topic.
   * @returns The count.
   */
  subscriberCount(topic: string): number {
    const group = this.exact.get(topic);
    return group === undefined ? 0 : group.subs.size + (group.runtime?.subs.size ?? 0);
  }

  /**
   * The topics and patterns that have subscribers on this process, with their counts.
   *
   * @returns One entry per exact topic or pattern.
   */
  topics(): TopicCount[] {
    const out: TopicCount[] = [];
    for (const [topic, group] of this.exact) {
      out.push({
        topic,
        pattern: false,
        subscribers: this.subscriberCount(topic),
        runtime: group.runtime?.subs.size ?? 0,
      });
    }
    for (const [topic, group] of this.patterns) {
      out.push({ topic, pattern: true, subscribers: group.subs.size, runtime: 0 });
    }
    return out;
  }

  /** Whether a topic has a subscriber: exact, or through a pattern (its lazy publisher runs). */
  #wanted(topic: string): boolean {
    if (this.exact.has(topic)) return true;
    for (const group of this.patterns.values()) if (group.pattern.matches(topic)) return true;
    return false;
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
