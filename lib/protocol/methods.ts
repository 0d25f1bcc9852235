/**
 * Every `rpc.*` method name of the protocol (docs/PROTOCOL.md §3), the hub's included, in the
 * order of that index. Code names methods through this object, never as string literals.
 *
 * @module
 */

/**
 * The extension methods, by name.
 *
 * @example Call a built-in by its constant
 * ```ts
 * import { Method } from "./methods.ts";
 * const request = { jsonrpc: "2.0", id: 1, method: Method.Ping };
 * if (JSON.stringify(request) !== '{"jsonrpc":"2.0","id":1,"method":"rpc.ping"}') {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export const Method: {
  /** Session start: codec, limits, extensions, identity (§4.1). */
  readonly Hello: "rpc.hello";
  /** Liveness probe, either direction (§4.2). */
  readonly Ping: "rpc.ping";
  /** Cancel a call in progress (§4.3). */
  readonly Cancel: "rpc.cancel";
  /** Call a procedure and receive its result as a stream (§7.1). */
  readonly Stream: "rpc.stream";
  /** One item of a streamed result (§7.1). */
  readonly StreamItem: "rpc.stream.item";
  /** Credit for more stream items (§7.1). */
  readonly StreamCredit: "rpc.stream.credit";
  /** Subscribe to a topic or pattern (§6.2). */
  readonly Subscribe: "rpc.subscribe";
  /** Unsubscribe (§6.4). */
  readonly Unsubscribe: "rpc.unsubscribe";
  /** Publish an event (§6.5). */
  readonly Publish: "rpc.publish";
  /** An event delivered to a subscriber (§6.6). */
  readonly Event: "rpc.event";
  /** Read a synced state (§14). */
  readonly StateGet: "rpc.state.get";
  /** Open a multiplexed channel (§13). */
  readonly ChannelOpen: "rpc.channel.open";
  /** A frame of a multiplexed channel (§13). */
  readonly Channel: "rpc.channel";
  /** Close a multiplexed channel (§13). */
  readonly ChannelClose: "rpc.channel.close";
  /** Hub: replace the connection's credential (§9.1). */
  readonly Refresh: "rpc.refresh";
  /** Hub: offer a procedure to other clients (§9.2). */
  readonly Register: "rpc.register";
  /** Hub: withdraw an offered procedure (§9.2). */
  readonly Unregister: "rpc.unregister";
  /** Hub: list the procedures the caller may call (§9.4). */
  readonly Discover: "rpc.discover";
  /** Hub: the hub's clock (§9.5). */
  readonly Time: "rpc.time";
  /** Hub: the hub's version (§9.5). */
  readonly Version: "rpc.version";
  /** Hub: a snapshot of connections, topics and procedures (admin, §9.6). */
  readonly Inspect: "rpc.inspect";
  /** Hub: a snapshot pushed to a watching inspector (§9.6). */
  readonly InspectUpdate: "rpc.inspect.update";
  /** Hub: close another connection (admin, §9.6). */
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

/** The prefix the specification reserves for extensions: every name of {@linkcode Method}. */
export const RESERVED_PREFIX = "rpc.";
