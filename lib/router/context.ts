/**
 * What a procedure sees: the call context, the caller and the connection, and the shape of a
 * procedure. Types only; the registry and the middleware both build on them.
 *
 * @module
 */

import type { Id, Params } from "../protocol/types.ts";

/**
 * What a procedure sees of the call it is running.
 *
 * @example Call back the peer that called (types only)
 * ```ts
 * import type { CallContext } from "./context.ts";
 * function whoami(_params: unknown, ctx: CallContext): string {
 *   return `${ctx.method} from ${ctx.connection.id}`;
 * }
 * if (typeof whoami !== "function") throw new Error("unreachable");
 * ```
 */
export interface CallContext {
  /** The request id, or `undefined` for a notification. */
  readonly id: Id | undefined;
  /** The method name that was called. */
  readonly method: string;
  /** The connection the call came from. */
  readonly connection: ConnectionInfo;
  /** The peer of that connection: call it back, notify it, close it. */
  readonly peer: RemoteCaller;
  /**
   * Aborts when this call is cancelled (`rpc.cancel`) or the connection closes. Created on
   * first read, so calls that never look at it pay nothing.
   */
  readonly signal: AbortSignal;
}

/**
 * What a procedure may do with the peer that called it.
 *
 * @example Types only
 * ```ts
 * import type { RemoteCaller } from "./context.ts";
 * async function askName(peer: RemoteCaller): Promise<unknown> {
 *   return await peer.call("name");
 * }
 * if (typeof askName !== "function") throw new Error("unreachable");
 * ```
 */
export interface RemoteCaller {
  /** Call a procedure the other side registered and await its result. */
  call(method: string, params?: Params, options?: { timeout?: number }): Promise<unknown>;
  /** Send a notification. */
  notify(method: string, params?: Params): void;
  /** Call a procedure that streams its result; iterate the items (see `Peer.stream`). */
  stream(
    method: string,
    params?: Params,
    options?: { timeout?: number; credit?: number; signal?: AbortSignal },
  ): AsyncIterable<unknown> & { readonly result: Promise<unknown> };
}

/**
 * Facts about one connection, shared by every call on it.
 *
 * @example App data set at open time is seen by every call (types only)
 * ```ts
 * import type { ConnectionInfo } from "./context.ts";
 * const info: ConnectionInfo = { id: "c1", headers: new Headers(), data: { user: "ada" } };
 * if (info.data.user !== "ada") throw new Error("unreachable");
 * ```
 */
export interface ConnectionInfo {
  /** A unique id for this connection. */
  readonly id: string;
  /**
   * Server side: over WebSocket, the upgrade's headers the server's `keepHeaders` option keeps
   * (default none; its `context` hook sees them all); over HTTP POST, the request's headers.
   * Client side: empty.
   */
  readonly headers: Headers;
  /** The application's own per-connection data. */
  readonly data: Record<string, unknown>;
}

/**
 * A procedure: takes the call's params (shaped as its options say) and a context.
 * It may return a value or a promise; throw an {@linkcode RpcError} to choose the error.
 *
 * @typeParam P The params shape the handler expects.
 * @example Types only
 * ```ts
 * import type { Procedure } from "./context.ts";
 * const sum: Procedure<number[]> = (params) => params.reduce((a, b) => a + b, 0);
 * if (sum([1, 2], undefined as never) !== 3) throw new Error("unreachable");
 * ```
 */
export type Procedure<P = Params | undefined> = (params: P, ctx: CallContext) => unknown;
