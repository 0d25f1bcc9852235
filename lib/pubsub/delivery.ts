/**
 * Delivery of events to connections: publisher exclusion, duplicate suppression by sequence
 * number, one encoding per event and codec.
 *
 * Slow consumers: every frame a server connection sends passes its outgoing bound
 * (lib/server/backpressure.ts): over `maxBufferedBytes` for `slowConsumerGrace` ms, or over
 * twice it, the connection is closed with 4008 ("Slow consumer"). Frames the runtime's own
 * fan-out writes are checked through {@linkcode Subscriber.checkBuffered}. A client that
 * resubscribes with `since` gets what it missed from the replay buffer, or an explicit gap.
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { type EncodedMessage, encodeOnceSync } from "../framing/encoded.ts";
import { PubSubMethod } from "./protocol.ts";
import type { TopicEvent } from "./replay.ts";
import type { Connection, Sub } from "./subscriber.ts";

export type { Connection, Sub, Subscriber } from "./subscriber.ts";
export { ALWAYS_CHECK_SIZE, SAMPLE_MASK } from "./subscriber.ts";

/** The error an event carries in place of binary data its subscriber did not negotiate. */
const UNDELIVERABLE_BINARY = Object.freeze({
  code: ErrorCode.Unsupported,
  message: "Binary not negotiated",
  data: {
    reason: "The event carries binary data and this connection did not agree to binary frames",
  },
});

/**
 * Writes events to connections.
 *
 * @example
 * ```ts
 * import { Delivery, type Connection } from "./delivery.ts";
 * import { jsonCodec } from "../codec/json.ts";
 * const frames: string[] = [];
 * const conn: Connection = {
 *   subscriber: {
 *     info: { id: "c1", headers: new Headers(), data: {} },
 *     codec: jsonCodec,
 *     send: (f) => void frames.push(String(f)),
 *     bufferedAmount: () => 0,
 *     close() {},
 *   },
 *   subs: [],
 *   closed: false,
 * };
 * const delivery = new Delivery(() => {});
 * const sub = { conn, key: "a", exact: true, lastSeq: 0, queue: undefined };
 * const event = { topic: "a", seq: 1, data: 1, time: 0 };
 * delivery.emit(sub, event);
 * delivery.emit(sub, event); // a duplicate: dropped
 * if (frames.length !== 1) throw new Error("unreachable");
 * ```
 */
export class Delivery {
  /** Frames written to connections so far (events and `sendEvent`s), for metrics. */
  delivered = 0;
  readonly #report: (error: unknown, where: string) => void;
  #lastEvent: TopicEvent | undefined;
  #lastCodec: Codec | undefined;
  #lastEncoded: EncodedMessage | undefined;

  /** @param report Receives encoding and send failures. */
  constructor(report: (error: unknown, where: string) => void) {
    this.#report = report;
  }

  /**
   * Deliver an event to a subscription, or hold it while the subscription replays.
   *
   * @param sub The subscription.
   * @param event The event.
   */
  send(sub: Sub, event: TopicEvent): void {
    if (sub.queue !== undefined) sub.queue.push(event);
    else this.emit(sub, event);
  }

  /**
   * Apply the connection's outgoing bound now: for connections written to by other means
   * than {@linkcode Delivery.write} (the runtime's own fan-out).
   *
   * @param conn The connection.
   */
  watch(conn: Connection): void {
    if (!conn.closed) conn.subscriber.checkBuffered?.();
  }

  /**
   * Deliver an event now: skipped for its publisher and for a sequence number already sent.
   *
   * @param sub The subscription.
   * @param event The event.
   */
  emit(sub: Sub, event: TopicEvent): void {
    const conn = sub.conn;
    if (event.exclude !== undefined && conn.subscriber.info.id === event.exclude) return;
    if (sub.exact) {
      if (event.seq <= sub.lastSeq) return;
      sub.lastSeq = event.seq;
    }
    const encoded = this.encode(conn.subscriber.codec, event);
    if (encoded !== undefined) this.writeEncoded(conn, encoded, event);
  }

  /**
   * An event encoded for a codec, once: the last encoding is kept for the next subscriber.
   *
   * @param codec The codec.
   * @param event The event.
   * @returns The encoded event, or undefined when it cannot be encoded (reported).
   */
  encode(codec: Codec, event: TopicEvent): EncodedMessage | undefined {
    let encoded = this.#lastEncoded;
    if (encoded === undefined || this.#lastEvent !== event || this.#lastCodec !== codec) {
      try {
        encoded = encodeEvent(codec, event.topic, event.seq, event.data);
      } catch (error) {
        this.#report(error, `encode ${event.topic}`);
        return undefined;
      }
      this.#lastEncoded = encoded;
      this.#lastEvent = event;
      this.#lastCodec = codec;
    }
    return encoded;
  }

  /**
   * Write an encoded event to a connection (text, or binary frames shared by every
   * subscriber); the connection's own outgoing bound applies.
   *
   * @param conn The connection.
   * @param encoded The encoded event.
   * @returns Whether it was handed to the socket.
   */
  writeEncoded(
    conn: Connection,
    encoded: EncodedMessage,
    event?: { readonly topic: string; readonly seq: number | undefined },
  ): boolean {
    if (encoded.text !== undefined) return this.write(conn, encoded.text);
    if (conn.closed) return false;
    const sendEncoded = conn.subscriber.sendEncoded;
    if (sendEncoded !== undefined) {
      try {
        sendEncoded.call(conn.subscriber, encoded);
        this.delivered++;
        return true;
      } catch (error) {
        // Typically: the subscriber's connection did not negotiate binary frames.
        this.#report(error, "send event");
      }
    } else {
      this.#report(
        new TypeError("Switchboard: this subscriber cannot receive events carrying binary data"),
        "send event",
      );
    }
    // Never skip silently: the subscriber gets the event's place in the sequence with an
    // error instead of the data it cannot decode (docs/PROTOCOL.md, pub/sub).
    if (event === undefined) return false;
    try {
      const notice = conn.subscriber.codec.encode({
        jsonrpc: "2.0",
        method: PubSubMethod.Event,
        params: {
          topic: event.topic,
          ...(event.seq === undefined ? {} : { seq: event.seq }),
          error: UNDELIVERABLE_BINARY,
        },
      });
      return this.write(conn, notice);
    } catch (error) {
      this.#report(error, "send event");
      return false;
    }
  }

  /**
   * Write one text (or codec-binary) frame to a connection (its own outgoing bound applies).
   *
   * @param conn The connection.
   * @param frame The frame.
   * @returns Whether it was handed to the socket.
   */
  write(conn: Connection, frame: string | Uint8Array): boolean {
    if (conn.closed) return false;
    try {
      conn.subscriber.send(frame);
      this.delivered++;
      return true;
    } catch (error) {
      this.#report(error, "send event");
      return false;
    }
  }
}

/**
 * Encode an `rpc.event` once for a codec: a text frame, or binary frames when the data
 * carries attachments (its Blobs pre-read at publish time).
 *
 * @param codec The subscribers' codec.
 * @param topic The topic.
 * @param seq The sequence number, or undefined for a one-connection event.
 * @param data The event data.
 * @returns The encoded event.
 * @example
 * ```ts
 * import { encodeEvent } from "./delivery.ts";
 * import { jsonCodec } from "../codec/json.ts";
 * const encoded = encodeEvent(jsonCodec, "t", 1, { n: 1 });
 * if (!encoded.text?.includes('"seq":1')) throw new Error("unreachable");
 * ```
 */
export function encodeEvent(
  codec: Codec,
  topic: string,
  seq: number | undefined,
  data: unknown,
): EncodedMessage {
  return encodeOnceSync({
    jsonrpc: "2.0",
    method: PubSubMethod.Event,
    params: seq === undefined ? { topic, data } : { topic, seq, data },
  }, { codec });
}
