/**
 * The built-in extension procedures every peer answers: `rpc.ping`, `rpc.cancel`,
 * `rpc.stream.item` and `rpc.stream.credit`. They act on the peer's own state, so they are
 * plain functions looked up by name, with no per-peer closures or registry entries.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { Method } from "../protocol/methods.ts";
import type { Params } from "../protocol/types.ts";
import type { CallingPeer } from "./cancel.ts";
import type { PeerState } from "./state.ts";
import { parseCredit } from "./stream.ts";

/**
 * A built-in: runs synchronously on the peer's state.
 *
 * @example Types only
 * ```ts
 * import type { Builtin } from "./builtins.ts";
 * const ping: Builtin = () => "pong";
 * if (typeof ping !== "function") throw new Error("unreachable");
 * ```
 */
export type Builtin = (state: PeerState<CallingPeer>, params: Params | undefined) => unknown;

const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  [Method.Ping, () => "pong"],
  [Method.Cancel, (state, params) => {
    const id = (params as { id?: unknown } | undefined)?.id;
    state.calls?.cancel(
      id,
      new RpcError(ErrorCode.Cancelled, "Switchboard: the caller cancelled (rpc.cancel)"),
    );
    return undefined;
  }],
  [Method.StreamItem, (state, params) => state.streams?.items(params)],
  [Method.StreamCredit, (state, params) => {
    const credit = parseCredit(params);
    if (credit !== undefined) state.producers?.get(credit.id)?.grant(credit.credit);
    return undefined;
  }],
]);

/**
 * The built-in of this name, if there is one.
 *
 * @param method A method name.
 * @returns The built-in, or `undefined`.
 * @example
 * ```ts
 * import { builtinOf } from "./builtins.ts";
 * if (builtinOf("rpc.ping") === undefined || builtinOf("add") !== undefined) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export function builtinOf(method: string): Builtin | undefined {
  return BUILTINS.get(method);
}

/**
 * The extension methods every peer sends or answers, in the order of docs/PROTOCOL.md §4.1:
 * the built-ins here and `rpc.stream` (incoming.ts). A server's hello list starts from these.
 *
 * @example
 * ```ts
 * import { EXTENSIONS } from "./builtins.ts";
 * if (EXTENSIONS.join() !== "rpc.ping,rpc.cancel,rpc.stream,rpc.stream.item,rpc.stream.credit") {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export const EXTENSIONS: readonly string[] = Object.freeze([
  Method.Ping,
  Method.Cancel,
  Method.Stream,
  Method.StreamItem,
  Method.StreamCredit,
]);
