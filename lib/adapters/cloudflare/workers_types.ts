/**
 * The few Cloudflare Workers and Durable Objects types the host uses, declared here so the
 * package type-checks without `@cloudflare/workers-types` (their shapes follow the Workers
 * runtime API; only the members used are listed).
 *
 * @module
 */

/**
 * A Workers server-side WebSocket as the Hibernation API hands it to an object.
 *
 * @example Types only
 * ```ts
 * import type { HibernatingSocket } from "./workers_types.ts";
 * function idOf(ws: HibernatingSocket): unknown {
 *   return ws.deserializeAttachment();
 * }
 * if (typeof idOf !== "function") throw new Error("unreachable");
 * ```
 */
export interface HibernatingSocket {
  /** Send a frame. */
  send(frame: string | ArrayBuffer | ArrayBufferView): void;
  /** Close with a code and reason. */
  close(code?: number, reason?: string): void;
  /** Keep a value with the socket across hibernation (structured clone, at most 2,048 bytes). */
  serializeAttachment(value: unknown): void;
  /** The value kept with `serializeAttachment`, or null. */
  deserializeAttachment(): unknown;
  /** `WebSocket.OPEN` (1) while open. */
  readonly readyState: number;
}

/**
 * A SQLite-backed object's SQL API (`ctx.storage.sql`), synchronous.
 *
 * @example Types only
 * ```ts
 * import type { SqlStorage } from "./workers_types.ts";
 * function count(sql: SqlStorage): number {
 *   return Number(sql.exec("SELECT count(*) AS n FROM t").one().n);
 * }
 * if (typeof count !== "function") throw new Error("unreachable");
 * ```
 */
export interface SqlStorage {
  /**
   * Run one statement.
   *
   * @param query SQL with `?` placeholders.
   * @param bindings Their values.
   * @returns A cursor over the rows.
   */
  exec(query: string, ...bindings: unknown[]): SqlCursor;
}

/**
 * Rows of one statement.
 *
 * @example Types only
 * ```ts
 * import type { SqlCursor } from "./workers_types.ts";
 * const cursor: SqlCursor = { toArray: () => [], one: () => ({}) };
 * if (cursor.toArray().length !== 0) throw new Error("unreachable");
 * ```
 */
export interface SqlCursor {
  /** Every row. */
  toArray(): Record<string, unknown>[];
  /** The only row (throws when there is not exactly one). */
  one(): Record<string, unknown>;
}

/**
 * What the runtime passes a Durable Object as `ctx` (members used by the host).
 *
 * @example Types only
 * ```ts
 * import type { DurableObjectContext } from "./workers_types.ts";
 * function open(ctx: DurableObjectContext): number {
 *   return ctx.getWebSockets().length;
 * }
 * if (typeof open !== "function") throw new Error("unreachable");
 * ```
 */
export interface DurableObjectContext {
  /** Accept a server-side socket for hibernation, with up to 10 tags. */
  acceptWebSocket(ws: HibernatingSocket, tags?: string[]): void;
  /** The accepted sockets still open, optionally those with a tag. */
  getWebSockets(tag?: string): HibernatingSocket[];
  /** The tags a socket was accepted with. */
  getTags(ws: HibernatingSocket): string[];
  /** Answer one exact request frame with one exact response without waking the object. */
  setWebSocketAutoResponse(pair?: unknown): void;
  /** Hold other events until the promise settles (used at construction). */
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  /** The object's storage. */
  readonly storage: { readonly sql: SqlStorage };
  /** The object's id. */
  readonly id: { toString(): string; readonly name?: string };
}

/**
 * A Durable Object namespace binding (`env.<BINDING>`).
 *
 * @example Types only
 * ```ts
 * import type { DurableObjectNamespaceLike } from "./workers_types.ts";
 * function stub(ns: DurableObjectNamespaceLike, room: string) {
 *   return ns.get(ns.idFromName(room));
 * }
 * if (typeof stub !== "function") throw new Error("unreachable");
 * ```
 */
export interface DurableObjectNamespaceLike {
  /** The id of the object with this name. */
  idFromName(name: string): unknown;
  /** A stub to that object. */
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/** Workers' `WebSocketPair`: index 0 is the client end, 1 the server end. */
export type WebSocketPairConstructor = new () => {
  0: HibernatingSocket;
  1: HibernatingSocket;
};

/** Workers' `WebSocketRequestResponsePair`. */
export type RequestResponsePairConstructor = new (request: string, response: string) => unknown;

/**
 * The Workers globals the host needs, read from `globalThis` when first used (they exist in
 * workerd only).
 *
 * @returns `WebSocketPair` and `WebSocketRequestResponsePair`.
 * @throws {Error} Outside the Workers runtime.
 * @example
 * ```ts ignore
 * import { workersGlobals } from "./workers_types.ts";
 * const { WebSocketPair } = workersGlobals();
 * ```
 */
export function workersGlobals(): {
  WebSocketPair: WebSocketPairConstructor;
  WebSocketRequestResponsePair: RequestResponsePairConstructor | undefined;
} {
  const g = globalThis as {
    WebSocketPair?: WebSocketPairConstructor;
    WebSocketRequestResponsePair?: RequestResponsePairConstructor;
  };
  if (g.WebSocketPair === undefined) {
    throw new Error("Switchboard: WebSocketPair is missing: not running on Cloudflare Workers");
  }
  return {
    WebSocketPair: g.WebSocketPair,
    WebSocketRequestResponsePair: g.WebSocketRequestResponsePair,
  };
}
