/**
 * Fan-out of one backplane event on this process: to the exact topic's subscriptions (the
 * broker's loop and the runtime's own fan-out) and to matching patterns, each connection
 * reached once. Also the hand-over of subscriptions to and from the runtime's fan-out
 * (lib/pubsub/runtime_fanout.ts).
 *
 * @module
 */

import type { Delivery } from "./delivery.ts";
import type { TopicEvent } from "./replay.ts";
import { RuntimeGroup } from "./runtime_fanout.ts";
import { findSub, subsOf } from "./sub_table.ts";
import type { Connection, Sub } from "./subscriber.ts";
import type { ExactGroup, PatternGroup, Subscriptions } from "./subscriptions.ts";

/** Distinguishes the runtime topic names of brokers that share one runtime server. */
let fanouts = 0;

/**
 * Routes events to a broker's subscriptions.
 *
 * @example
 * ```ts
 * import { Fanout } from "./fanout.ts";
 * import { Delivery } from "./delivery.ts";
 * import { Subscriptions } from "./subscriptions.ts";
 * import { LazyTopics } from "./lazy.ts";
 * import { MemoryBackplane } from "./memory_backplane.ts";
 * import { jsonCodec } from "../codec/json.ts";
 * const frames: string[] = [];
 * const subs = new Subscriptions(4, new MemoryBackplane().stream(() => {}), new LazyTopics(() => {}, () => {}));
 * subs.attach({
 *   info: { id: "c1", headers: new Headers(), data: {} },
 *   codec: jsonCodec,
 *   send: (f) => void frames.push(String(f)),
 *   bufferedAmount: () => 0,
 *   close() {},
 * });
 * subs.addExact({ conn: subs.connection("c1"), key: "a", exact: true, lastSeq: 0, queue: undefined });
 * const fanout = new Fanout(subs, new Delivery(() => {}), true, () => {});
 * fanout.deliver({ topic: "a", seq: 1, data: 1, time: 0 });
 * if (frames.length !== 1) throw new Error("unreachable");
 * ```
 */
export class Fanout {
  readonly #subs: Subscriptions;
  readonly #delivery: Delivery;
  readonly #runtimeFanout: boolean;
  readonly #report: (error: unknown, where: string) => void;
  /** Prefix of this broker's topic names in the runtime's fan-out. */
  readonly #runtimePrefix = `switchboard:${++fanouts}:`;

  /**
   * @param subscriptions The broker's subscriptions.
   * @param delivery Writes events to connections.
   * @param runtimeFanout Whether subscriptions may be handed to the runtime's fan-out.
   * @param report Receives failures nobody awaits.
   */
  constructor(
    subscriptions: Subscriptions,
    delivery: Delivery,
    runtimeFanout: boolean,
    report: (error: unknown, where: string) => void,
  ) {
    this.#subs = subscriptions;
    this.#delivery = delivery;
    this.#runtimeFanout = runtimeFanout;
    this.#report = report;
  }

  /**
   * A subscription's last sequence number (kept by its runtime group while it has one).
   *
   * @param sub The subscription.
   * @returns The sequence number.
   */
  lastSeq(sub: Sub): number {
    const runtime = sub.exact ? this.#subs.exact.get(sub.key)?.runtime : undefined;
    return runtime !== undefined && runtime.subs.has(sub) ? runtime.lastSeq : sub.lastSeq;
  }

  /**
   * Hand a subscription whose replay is done to the runtime's fan-out, where it fits.
   *
   * @param group The exact topic's group.
   * @param sub The subscription.
   */
  toRuntime(group: ExactGroup, sub: Sub): void {
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
   * A connection's codec is about to change: its subscriptions leave the runtime's fan-out.
   *
   * @param conn The connection's record.
   */
  codecChanging(conn: Connection): void {
    for (const sub of subsOf(conn.subs)) {
      const group = sub.exact ? this.#subs.exact.get(sub.key) : undefined;
      const runtime = group?.runtime;
      if (runtime === undefined || !runtime.remove(sub)) continue;
      group!.subs.add(sub);
      if (runtime.subs.size === 0) group!.runtime = undefined;
    }
  }

  /**
   * Deliver an event from the backplane to every subscription it reaches here.
   *
   * @param event The event.
   */
  deliver(event: TopicEvent): void {
    const delivery = this.#delivery;
    let matched: PatternGroup[] | undefined;
    for (const group of this.#subs.patterns.values()) {
      if (group.pattern.matches(event.topic)) (matched ??= []).push(group);
    }
    const exact = this.#subs.exact.get(event.topic);
    if (matched === undefined) {
      if (exact === undefined) return;
      for (const sub of exact.subs) delivery.send(sub, event);
      if (exact.runtime !== undefined) this.#runtimeSend(exact.runtime, event);
      return;
    }
    const reached = new Set<Connection>();
    if (exact !== undefined) {
      for (const sub of exact.subs) {
        reached.add(sub.conn);
        delivery.send(sub, event);
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
        delivery.send(sub, event);
      }
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
      const publisher = this.#subs.recordOf(event.exclude);
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
}
