/**
 * The Switchboard client: `connect(url)` on any runtime with a standard WebSocket (Deno,
 * Bun, browsers, Workers, Node 22).
 *
 * @example Call a procedure
 * ```ts ignore
 * import { connect } from "./client.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc");
 * console.log(await client.call("subtract", [42, 23])); // 19
 * client.close();
 * ```
 *
 * @example Stay connected: reconnect, resume subscriptions, retry idempotent calls
 * ```ts ignore
 * import { connect } from "./client.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc", { reconnect: { max: 10_000 } });
 * client.on("disconnected", ({ code }) => console.log("lost the server", code));
 * client.subscribe("ticker.ACME", (price) => console.log(price), {
 *   onGap: () => console.log("missed too much: refetch"),
 * });
 * await client.call("getQuote", ["ACME"], { idempotent: true });
 * ```
 *
 * @module
 */

export {
  Client,
  type ClientCallOptions,
  type ClientEvents,
  type ClientOptions,
  connect,
  type ConnectionState,
  type ServerUrls,
  type TokenRefreshResult,
  type TokenSource,
} from "./lib/client/client.ts";
