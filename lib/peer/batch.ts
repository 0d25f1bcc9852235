/**
 * Outgoing batches: several calls and notifications in one frame.
 *
 * @module
 */

import type { CallingPeer } from "./cancel.ts";
import { type CallOptions, isParams, refuseCall, watchAbort } from "./outgoing.ts";
import type { PeerState } from "./state.ts";
import type { Params } from "../protocol/types.ts";

/**
 * One entry of an outgoing batch.
 *
 * @example Types only
 * ```ts
 * import type { BatchEntry } from "./batch.ts";
 * const entries: BatchEntry[] = [
 *   { method: "sum", params: [1, 2, 4] },
 *   { method: "notify_hello", params: [7], notification: true },
 * ];
 * if (entries.length !== 2) throw new Error("unreachable");
 * ```
 */
export interface BatchEntry {
  /** The method to call. */
  readonly method: string;
  /** Its params. */
  readonly params?: Params;
  /** Send as a notification: no response, its slot in the results is `undefined`. */
  readonly notification?: boolean;
}

/**
 * Send several calls and notifications in one batch frame (see `Peer.batch`).
 *
 * @param state The peer's state.
 * @param entries The calls, in order (at least one).
 * @param options Timeout and abort signal, applied to each call.
 * @returns One settled result per entry, in order.
 * @example
 * ```ts
 * import { sendBatch } from "./batch.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const sent: string[] = [];
 * const transport = { send: (f: string | Uint8Array) => void sent.push(String(f)), close() {} };
 * const state = new PeerState(new Peer(transport), transport, settingsOf({}));
 * void sendBatch(state, [{ method: "a", notification: true }, { method: "b", notification: true }]);
 * if (JSON.parse(sent[0]!).length !== 2) throw new Error("unreachable");
 * ```
 */
export function sendBatch(
  state: PeerState<CallingPeer>,
  entries: readonly BatchEntry[],
  options?: CallOptions,
): Promise<PromiseSettledResult<unknown>[]> {
  if (entries.length === 0) {
    return Promise.reject(new TypeError("Switchboard: a batch needs at least one entry"));
  }
  const messages: unknown[] = [];
  const promises: Promise<unknown>[] = [];
  const ids: number[] = [];
  for (const { method, params, notification } of entries) {
    if (notification) {
      if (params !== undefined && !isParams(params)) {
        promises.push(Promise.reject(new TypeError(`Switchboard: params of ${method} invalid`)));
        continue;
      }
      messages.push(
        params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params },
      );
      promises.push(Promise.resolve(undefined));
      continue;
    }
    const refusal = refuseCall(state, method, params, options?.signal);
    if (refusal !== undefined) {
      promises.push(Promise.reject(refusal));
      continue;
    }
    const { id, promise } = state.table.add(method, options?.timeout);
    ids.push(id);
    messages.push(
      params === undefined
        ? { jsonrpc: "2.0", id, method }
        : { jsonrpc: "2.0", id, method, params },
    );
    promises.push(promise);
    if (options?.signal !== undefined) watchAbort(state, id, method, options.signal);
  }
  if (messages.length > 0) {
    try {
      state.wire.send(messages, state);
    } catch (error) {
      for (const id of ids) state.pending?.fail(id, error);
    }
  }
  return Promise.allSettled(promises);
}
