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
export type { Codec } from "./lib/codec/codec.ts";
export { jsonCodec } from "./lib/codec/json.ts";
export { createSuperjsonCodec, superjsonCodec } from "./lib/codec/superjson.ts";
export { DEFAULT_FRAMING, type FramingOptions } from "./lib/framing/wire.ts";
export { ErrorCode, RpcError } from "./lib/protocol/errors.ts";
export { DEFAULT_LIMITS, type Limits } from "./lib/protocol/limits.ts";
export type * from "./lib/protocol/types.ts";
export type { BatchEntry, CallOptions, StreamOptions } from "./lib/peer/peer.ts";
export { CloseCode, type CloseInfo } from "./lib/peer/transport.ts";
export type {
  Contract,
  Handler,
  Handlers,
  InferProcedures,
  Procedures,
  ProcedureSignature,
  Remote,
  Reply,
  SchemaProcedure,
  StreamReply,
  TypedPublish,
  TypedSubscribe,
} from "./lib/contract/contract.ts";
export { implement, procedure, type Registrar } from "./lib/contract/implement.ts";
export { type Caller, remote } from "./lib/contract/remote.ts";
export type { StandardSchemaV1, WireIssue } from "./lib/contract/standard_schema.ts";
export type { StreamCall } from "./lib/peer/stream_call.ts";
export type { Middleware, MiddlewareContext } from "./lib/router/middleware.ts";
export type {
  CallContext,
  ConnectionInfo,
  Procedure,
  ProcedureOptions,
} from "./lib/router/registry.ts";
