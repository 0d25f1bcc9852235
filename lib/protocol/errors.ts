/**
 * Error codes and the {@linkcode RpcError} class.
 *
 * Codes from -32768 to -32000 are reserved by JSON-RPC 2.0. The specification defines five;
 * Switchboard uses a few of the "server error" range (-32000 to -32099) for conditions the
 * specification leaves to implementations, all listed in {@linkcode ErrorCode} (the hub's
 * -32010 to -32015 included; -32011 is retired) and in docs/PROTOCOL.md §12.
 *
 * @module
 */

import type { ErrorObject } from "./types.ts";

/**
 * Every error code Switchboard produces.
 *
 * @example
 * ```ts
 * import { ErrorCode } from "./errors.ts";
 * if (ErrorCode.MethodNotFound !== -32601) throw new Error("unreachable");
 * ```
 */
export const ErrorCode: {
  /** Invalid JSON was received. */
  readonly ParseError: -32700;
  /** The JSON sent is not a valid request object. */
  readonly InvalidRequest: -32600;
  /** The method does not exist or is not available. */
  readonly MethodNotFound: -32601;
  /** Invalid method parameters. */
  readonly InvalidParams: -32602;
  /** Internal JSON-RPC error, or a procedure threw something that is not an RpcError. */
  readonly InternalError: -32603;
  /** The call got no response within its timeout (raised locally by the caller). */
  readonly Timeout: -32000;
  /** The connection closed before the response arrived (raised locally by the caller). */
  readonly ConnectionClosed: -32001;
  /** The caller aborted the call with an AbortSignal (raised locally by the caller). */
  readonly Cancelled: -32002;
  /** The receiver has too many calls of this connection running at once. */
  readonly Overloaded: -32003;
  /** The call cannot be made on this kind of connection (e.g. calling back over HTTP). */
  readonly Unsupported: -32004;
  /** The message exceeds a size or count limit of the receiver. */
  readonly LimitExceeded: -32005;
  /**
   * An authorization hook or a rule refused the action (call, register, subscribe or
   * publish) for this connection; `data` says which action on which name.
   */
  readonly Forbidden: -32006;
  /**
   * The connection dropped after the call was sent and before its response arrived: it may
   * or may not have run (raised locally by a reconnecting client; calls marked idempotent
   * are retried instead).
   */
  readonly UnknownOutcome: -32007;
  /** The hub: the connection has not authenticated (or its credential was refused, or expired). */
  readonly Unauthenticated: -32010;
  /** The hub: another client already registered this name and the policy is `single`. */
  readonly AlreadyRegistered: -32012;
  /** The hub: the client that registered the procedure disconnected before it answered. */
  readonly CalleeGone: -32013;
  /** The hub is shutting down and takes no new calls. */
  readonly ShuttingDown: -32014;
  /** The hub: the cluster's engine (Redis or NATS) cannot be reached. */
  readonly ClusterUnavailable: -32015;
  /**
   * The connection is over its rate limit (frames or bytes per second): the request was not
   * run; `data: {limit, perSecond}`. Slow down and retry.
   */
  readonly RateLimited: -32029;
} = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  Timeout: -32000,
  ConnectionClosed: -32001,
  Cancelled: -32002,
  Overloaded: -32003,
  Unsupported: -32004,
  LimitExceeded: -32005,
  Forbidden: -32006,
  UnknownOutcome: -32007,
  Unauthenticated: -32010,
  AlreadyRegistered: -32012,
  CalleeGone: -32013,
  ShuttingDown: -32014,
  ClusterUnavailable: -32015,
  RateLimited: -32029,
};

/**
 * An error that crosses the wire as a JSON-RPC error object.
 *
 * Throw it from a procedure to choose the code, message and data the caller receives; any
 * other thrown value becomes `-32603 Internal error` with no stack trace. Calls reject with it
 * when the other side answers with an error, and also for local failures (timeout, closed
 * connection, cancellation) with the codes in {@linkcode ErrorCode}.
 *
 * @example Throw a precise error from a procedure
 * ```ts
 * import { RpcError } from "./errors.ts";
 * const err = new RpcError(-32010, "Insufficient funds", { balance: 3 });
 * if (err.toJSON().data === undefined) throw new Error("data is kept");
 * ```
 */
export class RpcError extends Error {
  /** The JSON-RPC error code. */
  readonly code: number;
  /** Optional structured detail, sent as `error.data`. */
  readonly data?: unknown;

  /**
   * @param code An integer error code.
   * @param message A short description in sentence case.
   * @param data Optional detail for the caller; it is sent over the wire.
   * @param options Standard error options; `cause` stays local and is never sent.
   */
  constructor(code: number, message: string, data?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.name = "RpcError";
    this.code = code;
    if (data !== undefined) this.data = data;
  }

  /**
   * The error object sent on the wire.
   *
   * @returns `{ code, message, data? }`.
   * @example
   * ```ts
   * import { RpcError } from "./errors.ts";
   * const obj = new RpcError(-32602, "Invalid params").toJSON();
   * if (obj.code !== -32602 || "data" in obj) throw new Error("unreachable");
   * ```
   */
  toJSON(): ErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  /**
   * Rebuild an error received from the wire.
   *
   * @param error The `error` member of a response.
   * @returns An RpcError with the same code, message and data.
   * @example
   * ```ts
   * import { RpcError } from "./errors.ts";
   * const err = RpcError.from({ code: -32601, message: "Method not found" });
   * if (!(err instanceof RpcError) || err.code !== -32601) throw new Error("unreachable");
   * ```
   */
  static from(error: ErrorObject): RpcError {
    return new RpcError(error.code, error.message, error.data);
  }
}

/**
 * Build the wire error for anything a procedure threw.
 *
 * An {@linkcode RpcError} keeps its code, message and data. Anything else becomes
 * `-32603 Internal error`; with `expose` set, its message (never its stack) goes in `data`.
 *
 * @param thrown What the procedure threw or rejected with.
 * @param expose Whether to reveal the message of a non-RpcError.
 * @returns The error object to send.
 * @example
 * ```ts
 * import { toErrorObject } from "./errors.ts";
 * const hidden = toErrorObject(new Error("db password is hunter2"), false);
 * if (hidden.code !== -32603 || "data" in hidden) throw new Error("must not leak");
 * ```
 */
export function toErrorObject(thrown: unknown, expose: boolean): ErrorObject {
  if (thrown instanceof RpcError) return thrown.toJSON();
  if (expose && thrown instanceof Error) {
    return { code: ErrorCode.InternalError, message: "Internal error", data: thrown.message };
  }
  return INTERNAL_ERROR;
}

const INTERNAL_ERROR: ErrorObject = Object.freeze({
  code: ErrorCode.InternalError,
  message: "Internal error",
});

/**
 * The hub's error codes, in the implementation-defined server range (-32010 to -32019);
 * docs/HUB.md lists when each is sent. A rule's refusal is the shared
 * {@linkcode ErrorCode.Forbidden} (-32006); -32011 is retired.
 *
 * @example
 * ```ts
 * import { HubErrorCode } from "./errors.ts";
 * if (HubErrorCode.Forbidden !== -32006) throw new Error("unreachable");
 * ```
 */
export const HubErrorCode: {
  /** The connection has not authenticated (or its credential was refused, or expired). */
  readonly Unauthenticated: -32010;
  /** A rule forbids this action on this name for the caller's roles (= ErrorCode.Forbidden). */
  readonly Forbidden: typeof ErrorCode.Forbidden;
  /** Another client already registered this name and the policy is `single`. */
  readonly AlreadyRegistered: -32012;
  /** The client that registered the procedure disconnected before it answered. */
  readonly CalleeGone: -32013;
  /** The hub is shutting down and takes no new calls. */
  readonly ShuttingDown: -32014;
  /** The cluster's engine (Redis or NATS) cannot be reached: the action could not be shared. */
  readonly ClusterUnavailable: -32015;
} = {
  Unauthenticated: -32010,
  Forbidden: ErrorCode.Forbidden,
  AlreadyRegistered: -32012,
  CalleeGone: -32013,
  ShuttingDown: -32014,
  ClusterUnavailable: -32015,
};
