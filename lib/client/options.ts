/**
 * The options, states and events of the client (client.ts), in one place.
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
import type { FramingOptions } from "../framing/wire.ts";
import type { HelloResult } from "../protocol/extensions.ts";
import type { Limits } from "../protocol/limits.ts";
import type { CallOptions } from "../peer/peer.ts";
import type { CloseInfo } from "../peer/transport.ts";
import type { SocketClose, WebSocketConstructor } from "./socket_transport.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { HeartbeatOptions } from "./heartbeat.ts";
import type { TokenSource } from "./token.ts";
import type { Clock } from "../protocol/clock.ts";

/**
 * Options of `connect()` (client.ts).
 *
 * @example Types only
 * ```ts
 * import type { ClientOptions } from "./options.ts";
 * const options: ClientOptions = { timeout: 5_000, maxQueued: 100, reconnect: { max: 5_000 } };
 * if (options.timeout !== 5_000) throw new Error("unreachable");
 * ```
 */
export interface ClientOptions {
  /** A WebSocket implementation to use instead of the global one. */
  readonly WebSocket?: WebSocketConstructor;
  /** Subprotocols to offer. */
  readonly protocols?: string | string[];
  /** Default call timeout in ms; 0 for none. Default 30,000. */
  readonly timeout?: number;
  /**
   * A name for this client, sent as `rpc.hello`'s `client` (the hub's inspector shows it).
   * Default `switchboard/<version>`.
   */
  readonly name?: string;
  /**
   * Messages held while connecting or reconnecting; past it, calls reject with -32005.
   * Default 1,000.
   */
  readonly maxQueued?: number;
  /** Limits on what the server sends this client. */
  readonly limits?: Partial<Limits> | undefined;
  /** Reveal messages of non-RpcError errors thrown by this client's procedures. */
  readonly exposeErrors?: boolean | undefined;
  /**
   * The codec, e.g. `superjsonCodec`. Default JSON. Any other codec is negotiated with
   * `rpc.hello` as the first frame (of every socket); if the server does not agree, the
   * client falls back to JSON.
   */
  readonly codec?: Codec;
  /**
   * Send and receive binary attachments (Uint8Array, ArrayBuffer, typed arrays, Blob) as
   * binary frames, negotiated with `rpc.hello` as the first frame (of every socket). Default
   * true (false with `multiplex`, where it cannot be true). Against a server that does not
   * agree (a plain JSON-RPC server answers the hello with -32601), a call carrying binary
   * rejects with a TypeError; `false` skips the hello when the codec is JSON.
   */
  readonly binary?: boolean;
  /** Chunk size and attachment limits of binary frames. */
  readonly framing?: Partial<FramingOptions>;
  /** Where unawaited failures go (a notification handler that threw, a stray response). */
  readonly onError?: ((error: unknown, where: string) => void) | undefined;
  /**
   * Reconnect when the connection drops (or the first connection fails), with exponential
   * backoff and full jitter: `true` for the defaults of {@linkcode BackoffOptions}, or the
   * options. Default true. Not after `close()`, nor after a server close with 1000, 1003,
   * 1007, 1008 or 1009. `false`: the client closes with its first connection.
   */
  readonly reconnect?: boolean | BackoffOptions;
  /**
   * While reconnecting, reject calls at once with -32001 instead of queueing them.
   * Default false.
   */
  readonly failFast?: boolean;
  /**
   * Ping the server (`rpc.ping`) every `interval` ms and drop the connection (close code
   * 4000) when no answer comes within `timeout` ms, to detect half-open connections.
   * Default `{ interval: 15_000, timeout: 10_000 }` when `reconnect` is on, else off;
   * `false` turns it off.
   */
  readonly heartbeat?: HeartbeatOptions | false;
  /**
   * Share one WebSocket with the other multiplexed clients of the same URL (each gets its own
   * channel: a separate session on the server). Default false. See
   * docs/PROTOCOL.md §6.
   */
  readonly multiplex?: boolean;
  /**
   * A credential for a hub (docs/PROTOCOL.md §11.1): sent as `params.token` of the `rpc.hello`
   * that opens every socket, so no hand-written hello is needed. A function is called again
   * for every socket (reconnects included) and every refresh, and may return a promise (fetch
   * a fresh JWT); calls made meanwhile wait. When the hub's answer carries `expires`, a
   * function token is refreshed in-session (`rpc.refresh`) shortly before; see
   * `Client.refresh`. A refused token is reported through `onError` (`where: "hello"`).
   */
  readonly token?: TokenSource;
  /**
   * The clock of the client's own timers: deadlines of calls waiting for a socket, the
   * heartbeat and the reconnect backoff (tests pass one they drive). Default the system's.
   */
  readonly clock?: Clock;
}

/**
 * Options of one call of a client.
 *
 * @example Types only
 * ```ts
 * import type { ClientCallOptions } from "./options.ts";
 * const options: ClientCallOptions = { idempotent: true, timeout: 1_000 };
 * if (!options.idempotent) throw new Error("unreachable");
 * ```
 */
export interface ClientCallOptions extends CallOptions {
  /**
   * The procedure may safely run twice: if the connection drops before its response, send it
   * again once reconnected instead of rejecting with -32007. Default false.
   */
  readonly idempotent?: boolean;
}

/**
 * Where a client is in its life (ROPE's names): `CONNECTING` (opening a socket, or waiting
 * to reconnect), `OPEN` (socket open, hello and resubscriptions under way), `CONNECTED`
 * (the server's initial answers arrived), `CLOSING` (`close()` was called), `CLOSED`.
 *
 * @example Types only
 * ```ts
 * import type { ConnectionState } from "./options.ts";
 * const state: ConnectionState = "CONNECTED";
 * if (state !== "CONNECTED") throw new Error("unreachable");
 * ```
 */
export type ConnectionState = "CONNECTING" | "OPEN" | "CONNECTED" | "CLOSING" | "CLOSED";

/**
 * The events of a client and their payloads.
 *
 * @example Types only
 * ```ts
 * import type { ClientEvents } from "./options.ts";
 * const payload: ClientEvents["reconnecting"] = { attempt: 0, delay: 120 };
 * if (payload.delay !== 120) throw new Error("unreachable");
 * ```
 */
export interface ClientEvents {
  /** The first `connected` after `open()` (or `connect()`). */
  readonly open: { readonly url: string };
  /** The client is closed for good: `close()` was called, or reconnection gave up. */
  readonly close: CloseInfo;
  /** A socket is ready: hello answered, subscriptions restored. */
  readonly connected: {
    readonly hello: HelloResult | undefined;
    /** False for the first connection after `open()`. */
    readonly reconnected: boolean;
  };
  /** A connected socket was lost. */
  readonly disconnected: CloseInfo & { readonly willReconnect: boolean };
  /** The client waits `delay` ms before attempt number `attempt` (0 first). */
  readonly reconnecting: { readonly attempt: number; readonly delay: number };
  /** A failure nobody awaits (the same as the `onError` option). */
  readonly error: { readonly error: unknown; readonly where: string };
  /** A socket (or, multiplexed, this client's channel) opened. */
  readonly websocketOpen: { readonly url: string };
  /** A socket (or, multiplexed, this client's channel) closed. */
  readonly websocketClose: SocketClose;
}
