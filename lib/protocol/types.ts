/**
 * JSON-RPC 2.0 message shapes, exactly as the specification defines them.
 *
 * Nothing here touches the network or a runtime: these are the types that every other
 * layer (codec, peer, router, server, client) speaks.
 *
 * @module
 */

/** The only protocol version this library speaks. */
export const JSONRPC_VERSION = "2.0" as const;

/**
 * A request id: a string, a number, or `null`, echoed verbatim in the response.
 *
 * @example Ids are opaque to the receiver (types only)
 * ```ts
 * import type { Id } from "./types.ts";
 * const ids: Id[] = ["abc", 7, null];
 * if (ids.length !== 3) throw new Error("unreachable");
 * ```
 */
export type Id = string | number | null;

/**
 * Parameters of a call: by position (an array) or by name (an object).
 *
 * @example Both shapes (types only)
 * ```ts
 * import type { Params } from "./types.ts";
 * const byPosition: Params = [42, 23];
 * const byName: Params = { subtrahend: 23, minuend: 42 };
 * if (!Array.isArray(byPosition) || Array.isArray(byName)) throw new Error("unreachable");
 * ```
 */
export type Params = readonly unknown[] | Readonly<Record<string, unknown>>;

/**
 * A request: expects a response carrying the same id.
 *
 * @example Types only
 * ```ts
 * import type { Request } from "./types.ts";
 * const req: Request = { jsonrpc: "2.0", id: 1, method: "subtract", params: [42, 23] };
 * if (req.id !== 1) throw new Error("unreachable");
 * ```
 */
export interface Request {
  /** Always `"2.0"`. */
  readonly jsonrpc: typeof JSONRPC_VERSION;
  /** The id the response echoes. */
  readonly id: Id;
  /** The procedure to run. */
  readonly method: string;
  /** Optional parameters. */
  readonly params?: Params;
}

/**
 * A notification: a request without an id; it is never answered.
 *
 * @example Types only
 * ```ts
 * import type { Notification } from "./types.ts";
 * const note: Notification = { jsonrpc: "2.0", method: "update", params: [1, 2, 3] };
 * if ("id" in note) throw new Error("unreachable");
 * ```
 */
export interface Notification {
  /** Always `"2.0"`. */
  readonly jsonrpc: typeof JSONRPC_VERSION;
  /** The procedure to run. */
  readonly method: string;
  /** Optional parameters. */
  readonly params?: Params;
}

/**
 * The error member of an error response.
 *
 * @example Types only
 * ```ts
 * import type { ErrorObject } from "./types.ts";
 * const err: ErrorObject = { code: -32601, message: "Method not found" };
 * if (err.code !== -32601) throw new Error("unreachable");
 * ```
 */
export interface ErrorObject {
  /** An integer; -32768 to -32000 are reserved by the specification. */
  readonly code: number;
  /** A short, single-sentence description. */
  readonly message: string;
  /** Optional detail defined by the server. */
  readonly data?: unknown;
}

/**
 * A successful response.
 *
 * @example Types only
 * ```ts
 * import type { SuccessResponse } from "./types.ts";
 * const res: SuccessResponse = { jsonrpc: "2.0", id: 1, result: 19 };
 * if (res.result !== 19) throw new Error("unreachable");
 * ```
 */
export interface SuccessResponse {
  /** Always `"2.0"`. */
  readonly jsonrpc: typeof JSONRPC_VERSION;
  /** The id of the request this answers. */
  readonly id: Id;
  /** The value the procedure returned. */
  readonly result: unknown;
}

/**
 * An error response. `id` is `null` when the request's id could not be read.
 *
 * @example Types only
 * ```ts
 * import type { ErrorResponse } from "./types.ts";
 * const res: ErrorResponse = {
 *   jsonrpc: "2.0",
 *   id: null,
 *   error: { code: -32700, message: "Parse error" },
 * };
 * if (res.error.code !== -32700) throw new Error("unreachable");
 * ```
 */
export interface ErrorResponse {
  /** Always `"2.0"`. */
  readonly jsonrpc: typeof JSONRPC_VERSION;
  /** The id of the request this answers, or `null`. */
  readonly id: Id;
  /** What went wrong. */
  readonly error: ErrorObject;
}

/**
 * Either kind of response.
 *
 * @example Types only
 * ```ts
 * import type { Response } from "./types.ts";
 * const res: Response = { jsonrpc: "2.0", id: "a", result: null };
 * if (!("result" in res)) throw new Error("unreachable");
 * ```
 */
export type Response = SuccessResponse | ErrorResponse;

/**
 * Any single JSON-RPC 2.0 message.
 *
 * @example Types only
 * ```ts
 * import type { Message } from "./types.ts";
 * const batch: Message[] = [
 *   { jsonrpc: "2.0", id: 1, method: "sum", params: [1, 2] },
 *   { jsonrpc: "2.0", method: "notify_hello", params: [7] },
 * ];
 * if (batch.length !== 2) throw new Error("unreachable");
 * ```
 */
export type Message = Request | Notification | Response;
