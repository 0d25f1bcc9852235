/**
 * Switchboard's extensions to JSON-RPC 2.0, all under the specification's reserved `rpc.`
 * prefix. A peer that never uses them speaks plain JSON-RPC 2.0. docs/PROTOCOL.md shows the
 * exact JSON of each.
 *
 * @module
 */

import { Method } from "./methods.ts";

/**
 * The session extension's method names (a subset of {@linkcode Method}).
 *
 * @example
 * ```ts
 * import { Extension } from "./extensions.ts";
 * if (!Extension.Hello.startsWith("rpc.")) throw new Error("unreachable");
 * ```
 */
export const Extension: {
  /** Request, client to server: negotiate codec, present credentials, learn the session. */
  readonly Hello: typeof Method.Hello;
  /** Request, either way: liveness; answers `"pong"`. */
  readonly Ping: typeof Method.Ping;
  /** Notification, either way: the caller gave up on request `id`. */
  readonly Cancel: typeof Method.Cancel;
} = {
  Hello: Method.Hello,
  Ping: Method.Ping,
  Cancel: Method.Cancel,
};

/**
 * Params of `rpc.hello` (all optional).
 *
 * @example Types only
 * ```ts
 * import type { HelloParams } from "./extensions.ts";
 * const hello: HelloParams = { codecs: ["json"], client: "switchboard/0.1.0" };
 * if (hello.codecs?.[0] !== "json") throw new Error("unreachable");
 * ```
 */
export interface HelloParams {
  /** Codecs the client accepts, preferred first. The server picks one; JSON if none given. */
  readonly codecs?: readonly string[];
  /** A credential (secret or token), for servers that authenticate in-band. */
  readonly token?: string;
  /** A session id from an earlier hello, to resume it. Reserved: servers ignore it today. */
  readonly resume?: string;
  /** A free-form client name and version. Informational: servers do not use it today. */
  readonly client?: string;
  /** The client sends and accepts binary frames with attachments (docs/PROTOCOL.md §5). */
  readonly binary?: boolean;
}

/**
 * Result of `rpc.hello`.
 *
 * @example Types only
 * ```ts
 * import type { HelloResult } from "./extensions.ts";
 * const result: HelloResult = {
 *   session: "6f1c…",
 *   codec: "json",
 *   server: "switchboard/0.1.0",
 *   limits: { maxMessageSize: 1048576, maxBatchSize: 1000 },
 *   extensions: ["rpc.hello", "rpc.ping", "rpc.cancel"],
 * };
 * if (result.codec !== "json") throw new Error("unreachable");
 * ```
 */
export interface HelloResult {
  /** This connection's session id. */
  readonly session: string;
  /** The codec chosen; frames after this response use it. */
  readonly codec: string;
  /** Server name and version. */
  readonly server: string;
  /** Limits the server enforces on what the client sends. */
  readonly limits: { readonly maxMessageSize: number; readonly maxBatchSize: number };
  /** Extension methods this server understands. */
  readonly extensions: readonly string[];
  /** Binary frames are in use on this connection (only when the client asked). */
  readonly binary?: boolean;
}
