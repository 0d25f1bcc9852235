/**
 * The broker's types of a connection and its subscriptions, in one place so the modules
 * that work on them (delivery, the runtime fan-out, the subscription table) import them from
 * here and not from each other.
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
import type { EncodedMessage } from "../framing/encoded.ts";
import type { ConnectionInfo } from "../router/registry.ts";
import type { TopicEvent } from "./replay.ts";

/**
 * A connection as the broker sees it.
 *
 * @example
 * ```ts
 * import type { Subscriber } from "./subscriber.ts";
 * import { jsonCodec } from "../codec/json.ts";
 * const frames: string[] = [];
 * const subscriber: Subscriber = {
 *   info: { id: "c1", headers: new Headers(), data: {} },
 *   codec: jsonCodec,
 *   send: (frame) => void frames.push(String(frame)),
 *   bufferedAmount: () => 0,
 *   close() {},
 * };
 * if (subscriber.info.id !== "c1") throw new Error("unreachable");
 * ```
 */
export interface Subscriber {
  /** The connection's facts; `info.id` identifies it. */
  readonly info: ConnectionInfo;
  /** Encodes the events sent to it. */
  readonly codec: Codec;
  /** Send one encoded frame. */
  send(frame: string | Uint8Array): void;
  /**
   * Send an event encoded once with its binary attachments (frames shared by every
   * subscriber of the same codec). Optional: a subscriber without it cannot receive events
   * that carry binary data.
   */
  sendEncoded?(encoded: EncodedMessage): void;
  /** Bytes waiting in its send buffer (0 when the transport cannot tell). */
  bufferedAmount(): number;
  /**
   * Apply the connection's outgoing bound now, after frames were written to it by other
   * means than `send` (the runtime's fan-out). Optional: frames sent with `send` are checked
   * by the connection itself.
   */
  checkBuffered?(): void;
  /** Close it. */
  close(code: number, reason: string): void;
  /**
   * The runtime's own topic fan-out this connection can join (Bun's topics), if any. The
   * broker then reaches it with one native publish per event instead of a `send`
   * (lib/pubsub/runtime_fanout.ts). Optional.
   */
  readonly fanout?: FanoutPort | undefined;
}

/**
 * A connection's side of its runtime's topic fan-out.
 *
 * @example A port over an in-memory "runtime" (types only)
 * ```ts
 * import type { FanoutPort } from "./subscriber.ts";
 * const space = new Map<string, Set<string[]>>();
 * const port = (inbox: string[]): FanoutPort => ({
 *   space,
 *   join: (topic) => void space.set(topic, (space.get(topic) ?? new Set()).add(inbox)),
 *   leave: (topic) => void space.get(topic)?.delete(inbox),
 *   publish(topic, frame, exceptSelf) {
 *     for (const box of space.get(topic) ?? []) if (!exceptSelf || box !== inbox) box.push(frame);
 *   },
 * });
 * const a: string[] = [], b: string[] = [];
 * port(a).join("t");
 * port(b).join("t");
 * port(a).publish("t", "x", true, 1);
 * if (a.length !== 0 || b[0] !== "x") throw new Error("unreachable");
 * ```
 */
export interface FanoutPort {
  /** The fan-out it belongs to (one per runtime server): ports of one space reach each other. */
  readonly space: object;
  /**
   * Join a runtime topic.
   *
   * @param topic The runtime's topic name.
   */
  join(topic: string): void;
  /**
   * Leave a runtime topic.
   *
   * @param topic The runtime's topic name.
   */
  leave(topic: string): void;
  /**
   * Send a text frame to every socket of the space that joined the topic.
   *
   * @param topic The runtime's topic name.
   * @param frame The frame.
   * @param exceptSelf Leave this port's own socket out.
   * @param recipients How many sockets it reaches, for the traffic counters.
   */
  publish(topic: string, frame: string, exceptSelf: boolean, recipients: number): void;
}

/**
 * The runtime's fan-out asks its subscribers to check their buffers on every 16th event
 * (`n & mask === 0`)…
 *
 * @example
 * ```ts
 * import { SAMPLE_MASK } from "./subscriber.ts";
 * if ((32 & SAMPLE_MASK) !== 0) throw new Error("unreachable");
 * ```
 */
export const SAMPLE_MASK = 15;
/**
 * …and on every frame of at least 16 KiB.
 *
 * @example
 * ```ts
 * import { ALWAYS_CHECK_SIZE } from "./subscriber.ts";
 * if (ALWAYS_CHECK_SIZE !== 16384) throw new Error("unreachable");
 * ```
 */
export const ALWAYS_CHECK_SIZE = 16 * 1024;

/**
 * A connection's state in the broker.
 *
 * @example Types only
 * ```ts
 * import type { Connection } from "./subscriber.ts";
 * const closedOnes = (all: Connection[]) => all.filter((c) => c.closed).length;
 * if (closedOnes([]) !== 0) throw new Error("unreachable");
 * ```
 */
export interface Connection {
  /** The connection. */
  readonly subscriber: Subscriber;
  /** Its subscriptions by topic or pattern (see lib/pubsub/sub_table.ts). */
  subs: SubTable;
  /** Set when it closed or was detached. */
  closed: boolean;
}

/**
 * One subscription of one connection.
 *
 * @example Types only
 * ```ts
 * import type { Sub } from "./subscriber.ts";
 * const behind = (sub: Sub, seq: number) => sub.exact && sub.lastSeq < seq;
 * if (typeof behind !== "function") throw new Error("unreachable");
 * ```
 */
export interface Sub {
  /** Its connection. */
  readonly conn: Connection;
  /** The topic or pattern. */
  readonly key: string;
  /** True for an exact topic, false for a pattern. */
  readonly exact: boolean;
  /** Last sequence number delivered (exact topics). */
  lastSeq: number;
  /** Live events held while the subscription's replay is fetched. */
  queue: TopicEvent[] | undefined;
}

/**
 * The subscriptions of one connection.
 *
 * @example
 * ```ts
 * import { addSub, findSub } from "./sub_table.ts";
 * import type { SubTable } from "./subscriber.ts";
 * import type { Sub } from "./subscriber.ts";
 * let table: SubTable = [];
 * table = addSub(table, { key: "news" } as Sub);
 * if (findSub(table, "news")?.key !== "news") throw new Error("unreachable");
 * ```
 */
export type SubTable = Sub[] | Map<string, Sub>;
