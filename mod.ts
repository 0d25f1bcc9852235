/**
 * Switchboard: JSON-RPC 2.0 over WebSockets, for every runtime with a standard WebSocket.
 *
 * This module is the client. It is browser-safe: it imports nothing runtime-specific.
 * The server is in `./server.ts`.
 *
 * @example Call a procedure and serve one to the server
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc");
 * client.register("ping", () => "pong");
 * console.log(await client.call("subtract", [42, 23])); // 19
 * client.close();
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
} from "./client.ts";
export { backoffDelay, type BackoffOptions, DEFAULT_BACKOFF } from "./lib/client/backoff.ts";
export { HEARTBEAT_CLOSE, type HeartbeatOptions } from "./lib/client/heartbeat.ts";
export { ChannelMethod } from "./lib/protocol/channel.ts";
export type {
  EventHandler,
  SubscribeOptions,
  Subscription,
  Subscriptions,
} from "./lib/client/subscriptions.ts";
export {
  type EventParams,
  type Gap,
  PubSubErrorCode,
  SLOW_CONSUMER_CLOSE,
  type SubscribeResult,
} from "./lib/pubsub/protocol.ts";
export {
  type ChangeListener,
  type RemoteMethods,
  type StateChange,
  type StateCheckpoint,
  type StateClient,
  sync,
  type Synced,
  SyncedState,
  type SyncOptions,
} from "./lib/client/state.ts";
export type { StatePatch, StateSnapshot, StateValue } from "./lib/state/protocol.ts";
export type { SocketClose, WebSocketConstructor } from "./lib/client/socket_transport.ts";
export type { BatchEntry, CallOptions, StreamOptions } from "./lib/peer/peer.ts";
export * from "./lib/shared.ts";
export { CloseCode, type CloseInfo } from "./lib/peer/transport.ts";
