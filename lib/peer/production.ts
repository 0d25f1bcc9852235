/**
 * Stream production: a procedure's async iterable result is streamed as `rpc.stream.item`
 * notifications within the caller's credit when the caller asked (`rpc.stream`), else
 * collected into an array.
 *
 * @module
 */

import { Method } from "../protocol/methods.ts";
import type { CallingPeer, RunningCall } from "./cancel.ts";
import type { PeerState } from "./state.ts";
import { collect, Producer } from "./stream.ts";

/**
 * Stream an async iterable result (credit > 0: the caller asked) or collect it.
 *
 * @param state The peer's state.
 * @param iterable The procedure's result.
 * @param ctx The running call.
 * @param credit The caller's initial credit; 0 when it did not ask for a stream.
 * @returns The final result (the iterator's return value, or the collected items).
 * @example
 * ```ts
 * import { produce } from "./production.ts";
 * import { RunningCall } from "./cancel.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const peer = new Peer({ send() {}, close() {} });
 * const state = new PeerState(peer, { send() {}, close() {} }, settingsOf({}));
 * async function* two() { yield 1; yield 2; }
 * const items = await produce(state, two(), new RunningCall(peer, 1, "two", undefined), 0);
 * if ((items as number[]).length !== 2) throw new Error("unreachable");
 * ```
 */
export function produce<P extends CallingPeer>(
  state: PeerState<P>,
  iterable: AsyncIterable<unknown>,
  ctx: RunningCall,
  credit: number,
): Promise<unknown> {
  if (credit === 0 || ctx.id === undefined || ctx.id === null) {
    return collect(iterable, ctx, state.settings.limits.maxCollectedItems);
  }
  const id = ctx.id;
  const producer = new Producer(credit, state.settings.limits.maxStreamWindow, (items) => {
    state.wire.send(
      { jsonrpc: "2.0", method: Method.StreamItem, params: { id, items } },
      (error) => state.report(error, "stream"),
    );
  });
  const producers = state.producers ??= new Map();
  producers.set(id, producer);
  ctx.onCancel = () => producer.wake();
  return producer.run(iterable, ctx).finally(() => producers.delete(id));
}
