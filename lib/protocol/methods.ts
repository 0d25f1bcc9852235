/**
 * Every `rpc.*` method name of the protocol, in one place (docs/PROTOCOL.md §3). JSON-RPC 2.0
 * reserves the `rpc.` prefix for extensions; a peer that never uses them speaks plain
 * JSON-RPC 2.0.
 *
 * @module
 */

/**
 * The extension method names, in the order of docs/PROTOCOL.md §3.
 *
 * @example
 * ```ts
 * import { Method } from "./methods.ts";
 * if (Method.Hello !== "rpc.hello" || Method.InspectDisconnect !== "rpc.inspect.disconnect") {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export const Method: {
  /** Request, client to server: negotiate codec, present credentials, learn the session. */
  readonly Hello: "rpc.hello";
  /** Request, either way: liveness; answers `"pong"`. */
  readonly Ping: "rpc.ping";
  /** Notification, either way: the caller gave up on request `id`. */
  readonly Cancel: "rpc.cancel";
  /** Request, either way: call a procedure and receive its result as a stream. */
  readonly Stream: "rpc.stream";
  /** Notification, callee to caller: one item of a stream. */
  readonly StreamItem: "rpc.stream.item";
  /** Notification, caller to callee: grant more items. */
  readonly StreamCredit: "rpc.stream.credit";
  /** Request, client to server: subscribe to a topic or pattern. */
  readonly Subscribe: "rpc.subscribe";
  /** Request, client to server: drop a subscription. */
  readonly Unsubscribe: "rpc.unsubscribe";
  /** Request, client to server: publish an event. */
  readonly Publish: "rpc.publish";
  /** Notification, server to client: an event of a subscribed topic. */
  readonly Event: "rpc.event";
  /** Request, client to server: the current snapshot of a state object. */
  readonly StateGet: "rpc.state.get";
  /** Request, client to server: open a channel; result `{ "channel": id }`. */
  readonly ChannelOpen: "rpc.channel.open";
  /** Notification, either way: one message of a channel. */
  readonly Channel: "rpc.channel";
  /** Notification, either way: a channel closed. */
  readonly ChannelClose: "rpc.channel.close";
  /** Request, client to hub: present a fresh credential. */
  readonly Refresh: "rpc.refresh";
  /** Request, client to hub: serve a procedure through the hub. */
  readonly Register: "rpc.register";
  /** Request, client to hub: stop serving a procedure. */
  readonly Unregister: "rpc.unregister";
  /** Request, client to hub: the procedures and topics the caller may use. */
  readonly Discover: "rpc.discover";
  /** Request, client to hub: the hub's clock. */
  readonly Time: "rpc.time";
  /** Request, client to hub: the hub's name and version. */
  readonly Version: "rpc.version";
  /** Request, client to hub (admin): a snapshot of connections, optionally watched. */
  readonly Inspect: "rpc.inspect";
  /** Notification, hub to client: a new snapshot for a watcher of `rpc.inspect`. */
  readonly InspectUpdate: "rpc.inspect.update";
  /** Request, client to hub (admin): disconnect one connection. */
  readonly InspectDisconnect: "rpc.inspect.disconnect";
} = {
  Hello: "rpc.hello",
  Ping: "rpc.ping",
  Cancel: "rpc.cancel",
  Stream: "rpc.stream",
  StreamItem: "rpc.stream.item",
  StreamCredit: "rpc.stream.credit",
  Subscribe: "rpc.subscribe",
  Unsubscribe: "rpc.unsubscribe",
  Publish: "rpc.publish",
  Event: "rpc.event",
  StateGet: "rpc.state.get",
  ChannelOpen: "rpc.channel.open",
  Channel: "rpc.channel",
  ChannelClose: "rpc.channel.close",
  Refresh: "rpc.refresh",
  Register: "rpc.register",
  Unregister: "rpc.unregister",
  Discover: "rpc.discover",
  Time: "rpc.time",
  Version: "rpc.version",
  Inspect: "rpc.inspect",
  InspectUpdate: "rpc.inspect.update",
  InspectDisconnect: "rpc.inspect.disconnect",
};

/**
 * The prefix JSON-RPC 2.0 reserves for extensions: applications may not register a procedure
 * whose name starts with it.
 *
 * @example
 * ```ts
 * import { Method, RESERVED_PREFIX } from "./methods.ts";
 * if (!Method.Ping.startsWith(RESERVED_PREFIX)) throw new Error("unreachable");
 * ```
 */
export const RESERVED_PREFIX = "rpc." as const;

/**
 * Whether a method name is in the reserved `rpc.` namespace.
 *
 * @param name A method name.
 * @returns True for `rpc.*`.
 * @example
 * ```ts
 * import { isReserved } from "./methods.ts";
 * if (!isReserved("rpc.ping") || isReserved("math.add")) throw new Error("unreachable");
 * ```
 */
export function isReserved(name: string): boolean {
  return name.startsWith(RESERVED_PREFIX);
}
