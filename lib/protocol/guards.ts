/**
 * Guards that narrow `unknown` values from the wire to JSON-RPC 2.0 messages.
 *
 * {@linkcode classify} reads a decoded value once and says what it is without allocating, so
 * the hot path can use the value itself afterwards.
 *
 * @module
 */

import type { ErrorResponse, Id, Notification, Request, SuccessResponse } from "./types.ts";

/**
 * What a decoded value is, as {@linkcode classify} sees it.
 *
 * @example
 * ```ts
 * import { Kind, classify } from "./guards.ts";
 * if (classify({ jsonrpc: "2.0", method: "x" }) !== Kind.Notification) throw new Error();
 * ```
 */
export const Kind: {
  /** Not a valid JSON-RPC 2.0 message: answer -32600. */
  readonly Invalid: 0;
  /** A request with an id. */
  readonly Request: 1;
  /** A request without an id. */
  readonly Notification: 2;
  /** A response carrying `result`. */
  readonly Success: 3;
  /** A response carrying `error`. */
  readonly Error: 4;
} = { Invalid: 0, Request: 1, Notification: 2, Success: 3, Error: 4 };

/** One of the values of {@linkcode Kind}. */
export type Kind = typeof Kind[keyof typeof Kind];

/**
 * Whether a value may stand as a JSON-RPC id.
 *
 * @param value Anything.
 * @returns True for a string, a finite number, or null.
 * @example
 * ```ts
 * import { isId } from "./guards.ts";
 * if (!isId("a") || !isId(1) || !isId(null) || isId({})) throw new Error("unreachable");
 * ```
 */
export function isId(value: unknown): value is Id {
  return typeof value === "string" || value === null ||
    (typeof value === "number" && Number.isFinite(value));
}

/**
 * Classify one decoded value (not a batch array).
 *
 * @param value A decoded JSON value.
 * @returns Its {@linkcode Kind}.
 * @example
 * ```ts
 * import { Kind, classify } from "./guards.ts";
 * const kind = classify({ jsonrpc: "2.0", id: 1, method: "sum", params: [1, 2] });
 * if (kind !== Kind.Request) throw new Error("unreachable");
 * if (classify({ jsonrpc: "2.0", method: 1, params: "bar" }) !== Kind.Invalid) throw new Error();
 * ```
 */
export function classify(value: unknown): Kind {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return Kind.Invalid;
  const msg = value as Record<string, unknown>;
  if (msg.jsonrpc !== "2.0") return Kind.Invalid;
  const method = msg.method;
  if (method !== undefined) {
    if (typeof method !== "string") return Kind.Invalid;
    const params = msg.params;
    if (params !== undefined && (typeof params !== "object" || params === null)) {
      return Kind.Invalid;
    }
    if (!("id" in msg)) return Kind.Notification;
    return isId(msg.id) ? Kind.Request : Kind.Invalid;
  }
  if (!("id" in msg) || !isId(msg.id)) return Kind.Invalid;
  const hasResult = "result" in msg;
  const error = msg.error;
  if (error === undefined) return hasResult ? Kind.Success : Kind.Invalid;
  if (hasResult || typeof error !== "object" || error === null) return Kind.Invalid;
  const { code, message } = error as Record<string, unknown>;
  return Number.isInteger(code) && typeof message === "string" ? Kind.Error : Kind.Invalid;
}

/**
 * The id to answer an invalid message with: its own id when that is a valid id, else null.
 *
 * @param value The invalid value.
 * @returns An id for the -32600 response.
 * @example
 * ```ts
 * import { idOf } from "./guards.ts";
 * if (idOf({ id: 5, method: 1 }) !== 5 || idOf([1]) !== null) throw new Error("unreachable");
 * ```
 */
export function idOf(value: unknown): Id {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const id = (value as Record<string, unknown>).id;
  return isId(id) ? id : null;
}

/**
 * Narrow after {@linkcode classify} returned {@linkcode Kind.Request}.
 *
 * @param value A classified value.
 * @returns The same value, typed.
 * @example
 * ```ts
 * import { asRequest } from "./guards.ts";
 * if (asRequest({ jsonrpc: "2.0", id: 1, method: "m" }).method !== "m") throw new Error();
 * ```
 */
export function asRequest(value: unknown): Request {
  return value as Request;
}

/**
 * Narrow after {@linkcode classify} returned {@linkcode Kind.Notification}.
 *
 * @param value A classified value.
 * @returns The same value, typed.
 * @example
 * ```ts
 * import { asNotification } from "./guards.ts";
 * if (asNotification({ jsonrpc: "2.0", method: "m" }).method !== "m") throw new Error();
 * ```
 */
export function asNotification(value: unknown): Notification {
  return value as Notification;
}

/**
 * Narrow after {@linkcode classify} returned {@linkcode Kind.Success} or {@linkcode Kind.Error}.
 *
 * @param value A classified value.
 * @returns The same value, typed.
 * @example
 * ```ts
 * import { asResponse } from "./guards.ts";
 * if (asResponse({ jsonrpc: "2.0", id: 1, result: 2 }).id !== 1) throw new Error();
 * ```
 */
export function asResponse(value: unknown): SuccessResponse & ErrorResponse {
  return value as SuccessResponse & ErrorResponse;
}
