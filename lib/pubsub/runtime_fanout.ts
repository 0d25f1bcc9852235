/**
 * The runtime's own topic fan-out as the local delivery of an exact topic. On Bun, one
 * `server.publish` writes a frame to every socket of the server that joined a topic, in native
 * code, where the broker's loop makes a JavaScript `send` per subscriber.
 *
 * A subscription is handed to the runtime only where the runtime gives it exactly what the
 * broker's loop would: an exact topic, after its replay, with its sequence in step with the
 * topic's; the same codec as the topic's other runtime subscribers (one frame fits all); a
 * socket of the same server. Publisher exclusion uses the runtime's "everyone but this socket"
 * publish; sequence numbers are deduplicated per topic instead of per subscription; the
 * slow-consumer policy reads the subscribers' buffered amounts on every 16th event and on every
 * event of 16 KiB or more. Everything else (patterns, other codecs, events carrying binary
 * attachments, multiplexed channels, runtimes without topics) goes through the broker's loop.
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
// Buffered amounts are read as the broker's loop reads them per connection: every 16th event
// of the topic and every event of at least 16 KiB.
import { ALWAYS_CHECK_SIZE, type FanoutPort, SAMPLE_MASK, type Sub } from "./subscriber.ts";

export type { FanoutPort } from "./subscriber.ts";

/**
 * The subscriptions of one exact topic that the runtime reaches.
 *
 * @example
 * ```ts
 * import { RuntimeGroup, type FanoutPort } from "./runtime_fanout.ts";
 * import { jsonCodec } from "../codec/json.ts";
 * import type { Sub, Subscriber } from "./subscriber.ts";
 * const frames: string[] = [];
 * const port: FanoutPort = {
 *   space: {},
 *   join() {},
 *   leave() {},
 *   publish: (_topic, frame) => void frames.push(frame),
 * };
 * const subscriber = { fanout: port } as unknown as Subscriber;
 * const conn = { subscriber, subs: [], closed: false };
 * const sub: Sub = { conn, key: "t", exact: true, lastSeq: 0, queue: undefined };
 * const group = new RuntimeGroup("rt/t", sub, port, jsonCodec);
 * group.publish(1, "frame", undefined);
 * if (frames[0] !== "frame" || group.lastSeq !== 1) throw new Error("unreachable");
 * ```
 */
export class RuntimeGroup {
  /** The runtime's name of the topic (the broker's prefix + the topic). */
  readonly name: string;
  /** The fan-out its subscriptions belong to. */
  readonly space: object;
  /** The codec of the one frame they all get. */
  readonly codec: Codec;
  /** Its subscriptions. */
  readonly subs: Set<Sub> = new Set();
  /** The last sequence number published to them. */
  lastSeq: number;
  /** A member whose port publishes when nobody is left out. */
  #anchor: Sub;
  #published = 0;

  /**
   * @param name The runtime's topic name.
   * @param first The first subscription (joined here).
   * @param port Its connection's port.
   * @param codec Its connection's codec.
   */
  constructor(name: string, first: Sub, port: FanoutPort, codec: Codec) {
    this.name = name;
    this.space = port.space;
    this.codec = codec;
    this.lastSeq = first.lastSeq;
    this.#anchor = first;
    this.add(first, port);
  }

  /**
   * Whether the runtime can serve this subscription exactly as the broker's loop would.
   *
   * @param sub A subscription whose replay is done.
   * @param port Its connection's port.
   * @param codec Its connection's codec.
   * @returns True when it may join.
   */
  accepts(sub: Sub, port: FanoutPort, codec: Codec): boolean {
    return port.space === this.space && codec === this.codec && sub.lastSeq === this.lastSeq;
  }

  /**
   * Hand a subscription to the runtime.
   *
   * @param sub The subscription.
   * @param port Its connection's port.
   */
  add(sub: Sub, port: FanoutPort): void {
    port.join(this.name);
    this.subs.add(sub);
  }

  /**
   * Take a subscription back from the runtime (its `lastSeq` brought up to date).
   *
   * @param sub The subscription.
   * @returns Whether it was here.
   */
  remove(sub: Sub): boolean {
    if (!this.subs.delete(sub)) return false;
    sub.lastSeq = this.lastSeq;
    try {
      sub.conn.subscriber.fanout!.leave(this.name);
    } catch {
      // A closed socket has already left its topics.
    }
    if (this.#anchor === sub) {
      for (const next of this.subs) {
        this.#anchor = next;
        break;
      }
    }
    return true;
  }

  /**
   * Publish a text frame to every subscription but `except`.
   *
   * @param seq The event's sequence number (already checked to be new).
   * @param frame The frame.
   * @param except A member left out (the publisher), if any.
   * @returns Whether the buffered amounts are due for a read (see the module doc).
   */
  publish(seq: number, frame: string, except: Sub | undefined): boolean {
    this.lastSeq = seq;
    const from = except ?? this.#anchor;
    const recipients = except === undefined ? this.subs.size : this.subs.size - 1;
    from.conn.subscriber.fanout!.publish(this.name, frame, except !== undefined, recipients);
    return (++this.#published & SAMPLE_MASK) === 0 || frame.length >= ALWAYS_CHECK_SIZE;
  }
}
