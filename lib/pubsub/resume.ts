/**
 * Replay on subscribe: a subscription to an exact topic with `since` gets the events it
 * missed from the backplane's history before its answer, or the answer carries the gap.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import type { Delivery } from "./delivery.ts";
import type { SubscribeResult } from "./protocol.ts";
import type { Sub } from "./subscriber.ts";

/**
 * Start a new exact subscription: replay what it missed after `since` (or note the gap),
 * then flush the live events queued while the replay was fetched.
 *
 * @param backplane Holds the history.
 * @param delivery Writes the events.
 * @param sub The new subscription (its `queue` collects live events until this returns).
 * @param since The last sequence number the client saw, if it resumes.
 * @returns The subscription's answer.
 * @example
 * ```ts
 * import { replayNew } from "./resume.ts";
 * import { Delivery } from "./delivery.ts";
 * import { MemoryBackplane } from "./memory_backplane.ts";
 * import { jsonCodec } from "../codec/json.ts";
 * const backplane = new MemoryBackplane({ replay: { size: 10 } });
 * await backplane.publish("a", 1);
 * const frames: string[] = [];
 * const subscriber = {
 *   info: { id: "c1", headers: new Headers(), data: {} },
 *   codec: jsonCodec,
 *   send: (f: string | Uint8Array) => void frames.push(String(f)),
 *   bufferedAmount: () => 0,
 *   close() {},
 * };
 * const conn = { subscriber, subs: [], closed: false };
 * const sub = { conn, key: "a", exact: true, lastSeq: 0, queue: [] };
 * const result = await replayNew(backplane, new Delivery(() => {}), sub, 0);
 * if (result.replayed !== 1 || frames.length !== 1) throw new Error("unreachable");
 * await backplane.close();
 * ```
 */
export async function replayNew(
  backplane: Backplane,
  delivery: Delivery,
  sub: Sub,
  since: number | undefined,
): Promise<SubscribeResult> {
  const name = sub.key;
  let result: SubscribeResult;
  const replay = await backplane.replay(name, since);
  if ("gap" in replay) {
    sub.lastSeq = replay.gap.seq;
    result = { topic: name, seq: replay.gap.seq, gap: replay.gap };
  } else {
    sub.lastSeq = since ?? replay.seq;
    for (const event of replay.events) delivery.emit(sub, event);
    result = since === undefined
      ? { topic: name, seq: replay.seq }
      : { topic: name, seq: replay.seq, replayed: replay.events.length };
  }
  return result;
}

/**
 * Answer a subscribe for a topic or pattern the connection already holds. The live
 * subscription is untouched; with `since` (exact topics) the events after it are replayed
 * before the answer, or the answer carries the gap, as for a new subscription. Replayed
 * events may repeat events the subscription delivered live: the client asked for them.
 *
 * @param backplane Holds the history.
 * @param delivery Writes the events.
 * @param sub The subscription held.
 * @param since The last sequence number the client saw, if it resumes.
 * @param lastSeq The subscription's current sequence number.
 * @returns The answer.
 * @example
 * ```ts
 * import { replayAgain } from "./resume.ts";
 * import { Delivery } from "./delivery.ts";
 * import { MemoryBackplane } from "./memory_backplane.ts";
 * const sub = { key: "a", exact: true } as Parameters<typeof replayAgain>[2];
 * const result = await replayAgain(new MemoryBackplane(), new Delivery(() => {}), sub, undefined, 7);
 * if (result.seq !== 7) throw new Error("unreachable");
 * ```
 */
export async function replayAgain(
  backplane: Backplane,
  delivery: Delivery,
  sub: Sub,
  since: number | undefined,
  lastSeq: number,
): Promise<SubscribeResult> {
  const topic = sub.key;
  if (since === undefined) return { topic, seq: sub.exact ? lastSeq : 0 };
  const replay = await backplane.replay(topic, since);
  if ("gap" in replay) return { topic, seq: replay.gap.seq, gap: replay.gap };
  const conn = sub.conn;
  for (const event of replay.events) {
    if (conn.closed || event.exclude === conn.subscriber.info.id) continue;
    const encoded = delivery.encode(conn.subscriber.codec, event);
    if (encoded !== undefined) delivery.writeEncoded(conn, encoded, event);
  }
  return { topic, seq: replay.seq, replayed: replay.events.length };
}
