/**
 * Outgoing calls: the checks every call passes before it is sent, the send itself with its
 * pending-table entry, and abort-signal handling (`rpc.cancel`).
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { Method } from "../protocol/methods.ts";
import type { Params } from "../protocol/types.ts";
import type { CallingPeer } from "./cancel.ts";
import type { DropHandler } from "./pending.ts";
import type { PeerState } from "./state.ts";

/**
 * Options of one outgoing call.
 *
 * @example Types only
 * ```ts
 * import type { CallOptions } from "./outgoing.ts";
 * const options: CallOptions = { timeout: 500, signal: AbortSignal.timeout(1000) };
 * if (options.timeout !== 500) throw new Error("unreachable");
 * ```
 */
export interface CallOptions {
  /** Milliseconds to wait for the response; 0 waits forever. Default: the peer's timeout. */
  readonly timeout?: number;
  /**
   * Abort the call: it rejects at once with -32002 (cancelled) and an `rpc.cancel`
   * notification tells the other side, which may stop the work.
   */
  readonly signal?: AbortSignal;
}

type State = PeerState<CallingPeer>;

/**
 * Why a call may not be sent, or `undefined` when it may.
 *
 * @param state The peer's state.
 * @param method The method.
 * @param params Its params.
 * @param signal Its abort signal.
 * @returns The error to reject the call with, if any.
 * @example
 * ```ts
 * import { refuseCall } from "./outgoing.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const transport = { send() {}, close() {} };
 * const state = new PeerState(new Peer(transport), transport, settingsOf({}));
 * if (!(refuseCall(state, "", undefined, undefined) instanceof TypeError)) throw new Error("!");
 * ```
 */
export function refuseCall(
  state: State,
  method: string,
  params: unknown,
  signal: AbortSignal | undefined,
): unknown {
  if (typeof method !== "string" || method.length === 0) {
    return new TypeError("Switchboard: a method name must be a non-empty string");
  }
  if (params !== undefined && !isParams(params)) {
    return new TypeError(`Switchboard: params of ${method} must be an array or an object`);
  }
  if (state.closeInfo !== undefined) return state.closedError();
  if (signal?.aborted) return cancelledError(method, signal.reason);
  const max = state.settings.limits.maxPendingCalls;
  if ((state.pending?.size ?? 0) >= max) {
    return new RpcError(
      ErrorCode.LimitExceeded,
      `Switchboard: ${max} calls already pending; ${method} not sent`,
    );
  }
  return undefined;
}

/**
 * Send a call and await its result; on a drop, `onDrop` (if given) takes the call over
 * instead of the -32001 rejection.
 *
 * @param state The peer's state.
 * @param method The method name.
 * @param params Params by position or by name.
 * @param options Timeout and abort signal.
 * @param onDrop Takes the call over on a drop.
 * @returns The result.
 * @example
 * ```ts
 * import { sendCall } from "./outgoing.ts";
 * import { closeLocally } from "./close.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const transport = { send() {}, close() {} };
 * const state = new PeerState(new Peer(transport), transport, settingsOf({}));
 * const call = sendCall(state, "x", [1], undefined, (dropped) => dropped.resolve("again"));
 * closeLocally(state, 1000, "");
 * if ((await call) !== "again") throw new Error("unreachable");
 * ```
 */
export function sendCall(
  state: State,
  method: string,
  params: Params | undefined,
  options: CallOptions | undefined,
  onDrop: DropHandler | undefined,
): Promise<unknown> {
  const refusal = refuseCall(state, method, params, options?.signal);
  if (refusal !== undefined) return Promise.reject(refusal);
  const pending = state.table;
  const { id, promise } = pending.add(method, options?.timeout, params, options, onDrop);
  try {
    state.wire.send(
      params === undefined
        ? { jsonrpc: "2.0", id, method }
        : { jsonrpc: "2.0", id, method, params },
      state,
    );
  } catch (error) {
    pending.fail(id, error);
    return promise;
  }
  if (options !== undefined && options.signal !== undefined) {
    watchAbort(state, id, method, options.signal);
  }
  return promise;
}

/**
 * Reject a pending call when its signal aborts, and tell the other side (`rpc.cancel`).
 *
 * @param state The peer's state.
 * @param id The call's id.
 * @param method Its method, for the error message.
 * @param signal The signal.
 * @example
 * ```ts
 * import { watchAbort } from "./outgoing.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const transport = { send() {}, close() {} };
 * const state = new PeerState(new Peer(transport), transport, settingsOf({}));
 * const { id, promise } = state.table.add("x", undefined);
 * const controller = new AbortController();
 * watchAbort(state, id, "x", controller.signal);
 * controller.abort();
 * const error = await promise.catch((e: { code?: number }) => e) as { code?: number };
 * if (error.code !== -32002) throw new Error("unreachable");
 * ```
 */
export function watchAbort(state: State, id: number, method: string, signal: AbortSignal): void {
  const onAbort = (): void => {
    if (state.pending?.fail(id, cancelledError(method, signal.reason))) {
      state.sendMessage({ jsonrpc: "2.0", method: Method.Cancel, params: { id } });
    }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  state.pending?.onSettle(id, () => signal.removeEventListener("abort", onAbort));
}

/**
 * The -32002 error of a cancelled call.
 *
 * @param method The method.
 * @param reason The abort reason (kept as `cause`).
 * @returns The error.
 * @example
 * ```ts
 * import { cancelledError } from "./outgoing.ts";
 * if (cancelledError("x", undefined).code !== -32002) throw new Error("unreachable");
 * ```
 */
export function cancelledError(method: string, reason: unknown): RpcError {
  return new RpcError(
    ErrorCode.Cancelled,
    `Switchboard: call to ${method} was cancelled`,
    undefined,
    { cause: reason },
  );
}

/**
 * Whether a value can be sent as params (an array or an object).
 *
 * @param value The value.
 * @returns True for arrays and objects.
 * @example
 * ```ts
 * import { isParams } from "./outgoing.ts";
 * if (!isParams([1]) || isParams(1)) throw new Error("unreachable");
 * ```
 */
export function isParams(value: unknown): value is Params {
  return typeof value === "object" && value !== null;
}
