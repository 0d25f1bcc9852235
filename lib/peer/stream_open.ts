/**
 * Opening a streamed call (`rpc.stream`): the caller's side of streamed results, with credit
 * (back-pressure), timeout and abort.
 *
 * @module
 */

import { Method } from "../protocol/methods.ts";
import type { Params } from "../protocol/types.ts";
import type { CallingPeer } from "./cancel.ts";
import { type CallOptions, cancelledError, refuseCall } from "./outgoing.ts";
import type { PeerState } from "./state.ts";
import { StreamCall, StreamCalls } from "./stream_call.ts";

/**
 * Options of one streamed call ({@linkcode Peer.stream}).
 *
 * @example Types only
 * ```ts
 * import type { StreamOptions } from "./stream_open.ts";
 * const options: StreamOptions = { credit: 64 };
 * if (options.credit !== 64) throw new Error("unreachable");
 * ```
 */
export interface StreamOptions extends CallOptions {
  /**
   * Items the caller is ready to hold (the window; the other side clamps it to its
   * `maxStreamWindow`). Default 256. The timeout, if any, covers the whole stream; default none.
   */
  readonly credit?: number;
}

const DEFAULT_CREDIT = 256;

/**
 * Call a procedure of the other side that streams its result (see `Peer.stream`).
 *
 * @typeParam T The items.
 * @typeParam R The final result.
 * @param state The peer's state.
 * @param method The method name.
 * @param params Params by position or by name.
 * @param options Credit (window), timeout (none by default) and abort signal.
 * @returns The stream; breaking out of it cancels the call.
 * @example
 * ```ts
 * import { openStream } from "./stream_open.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const transport = { send() {}, close() {} };
 * const state = new PeerState(new Peer(transport), transport, settingsOf({}));
 * const stream = openStream(state, "count", [3], { credit: 8 });
 * if (state.table.size !== 1) throw new Error("unreachable");
 * stream.return();
 * ```
 */
export function openStream<T = unknown, R = unknown>(
  state: PeerState<CallingPeer>,
  method: string,
  params?: Params,
  options?: StreamOptions,
): StreamCall<T, R> {
  const credit = options?.credit ?? DEFAULT_CREDIT;
  if (!Number.isSafeInteger(credit) || credit < 1) {
    throw new RangeError(`Switchboard: credit must be a positive integer: got ${credit}`);
  }
  const noop = { credit() {}, cancel() {} };
  const refusal = refuseCall(state, method, params, options?.signal);
  if (refusal !== undefined) return new StreamCall(Promise.reject(refusal), credit, noop);
  const pending = state.table;
  const { id, promise } = pending.add(method, options?.timeout ?? 0);
  const call = new StreamCall<T, R>(promise, credit, {
    credit: (items) =>
      state.sendMessage({
        jsonrpc: "2.0",
        method: Method.StreamCredit,
        params: { id, credit: items },
      }),
    cancel: (reason) => {
      if (pending.fail(id, reason)) {
        state.sendMessage({ jsonrpc: "2.0", method: Method.Cancel, params: { id } });
      }
    },
  });
  (state.streams ??= new StreamCalls()).set(id, call as StreamCall);
  // Nobody may await the promise itself (items are read through the call); the rejection is
  // seen through the iterator. A timeout sends rpc.cancel through the pending table.
  promise.catch(() => {});
  const signal = options?.signal;
  const onAbort = (): void => call.cancel(cancelledError(method, signal?.reason));
  signal?.addEventListener("abort", onAbort, { once: true });
  pending.onSettle(id, () => {
    state.streams?.delete(id);
    signal?.removeEventListener("abort", onAbort);
  });
  const open = params === undefined ? { method, credit } : { method, params, credit };
  try {
    state.wire.send({ jsonrpc: "2.0", id, method: Method.Stream, params: open }, state);
  } catch (error) {
    pending.fail(id, error);
  }
  return call;
}
