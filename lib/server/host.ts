/**
 * The host seam: what a runtime (a "host": Deno, Bun, Node, a Cloudflare Durable Object)
 * provides to a Switchboard server, and what the server gives back. Everything a host needs
 * is here; nothing above this file names a runtime. lib/adapters/adapter.ts re-exports it and
 * documents how a host implements it; docs/HOSTS.md walks through one.
 *
 * - **Accept a socket**: upgrade the request, then hand the runtime's socket
 *   ({@linkcode NativeSocket}) to the server's {@linkcode SocketSink} with `socketOpened`.
 * - **Hand frames in**: `socketMessage` per frame (text as a string, binary as an
 *   `ArrayBuffer`); `socketClosed(code, reason)` once.
 * - **Send with backpressure feedback**: the server calls `NativeSocket.send` and reads its
 *   result (Bun: bytes, −1 queued, 0 dropped) or the socket's buffered amount
 *   ({@linkcode readBufferedAmount}); `socketDrained` reports a drain where the runtime has one.
 * - **Close**: `NativeSocket.close(code, reason)`.
 * - **Timers**: a `Clock` (lib/protocol/clock.ts); the runtime's timers by default.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";

/**
 * Where and how to listen.
 *
 * @example Types only
 * ```ts
 * import type { ListenOptions } from "./host.ts";
 * const options: ListenOptions = { hostname: "127.0.0.1", port: 0, maxMessageSize: 1 << 20 };
 * if (options.port !== 0) throw new Error("unreachable");
 * ```
 */
export interface ListenOptions {
  /** Interface to bind. */
  readonly hostname: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Largest WebSocket message the runtime should accept, where it can enforce it. */
  readonly maxMessageSize: number;
  /**
   * The server's outgoing bound per connection (`maxBufferedBytes`): a runtime that drops
   * frames past a backpressure limit of its own (Bun) sets that limit above twice this plus
   * a frame, so that the server's bound (4008) always comes first.
   */
  readonly maxBufferedBytes?: number;
}

/**
 * A running HTTP server.
 *
 * @example Types only
 * ```ts
 * import type { RunningServer } from "./host.ts";
 * function describe(server: RunningServer): string {
 *   return `${server.runtime} on ${server.url}`;
 * }
 * if (typeof describe !== "function") throw new Error("unreachable");
 * ```
 */
export interface RunningServer {
  /** Which runtime serves it. */
  readonly runtime: string;
  /** The bound interface. */
  readonly hostname: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  /** `http://hostname:port`, with brackets around an IPv6 address. */
  readonly url: string;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/**
 * One runtime's glue.
 *
 * @example A host's name and upgrade helper, as a Switchboard host reads them (types only)
 * ```ts
 * import type { RuntimeAdapter } from "./host.ts";
 * function label(adapter: RuntimeAdapter): string {
 *   return `${adapter.runtime}: ${typeof adapter.upgradeWebSocket}`;
 * }
 * if (typeof label !== "function") throw new Error("unreachable");
 * ```
 */
export interface RuntimeAdapter {
  /** The runtime's name. */
  readonly runtime: string;
  /** Hono's WebSocket upgrade helper for this runtime. */
  readonly upgradeWebSocket: UpgradeWebSocket;
  /**
   * Serve a Hono app.
   *
   * @param app The app.
   * @param options Where to listen.
   * @returns The running server.
   */
  serve(app: Hono, options: ListenOptions): Promise<RunningServer>;
  /**
   * The remote address of a request served by {@linkcode RuntimeAdapter.serve}, when the
   * runtime tells (the hub's per-address caps use it). Optional.
   *
   * @param c The request's Hono context.
   * @returns The address, or undefined.
   */
  remoteAddress?(c: Context): string | undefined;
}

/**
 * Format `http://host:port`, bracketing IPv6 literals.
 *
 * @param hostname A hostname or address.
 * @param port A port.
 * @returns The origin URL.
 * @example
 * ```ts
 * import { originOf } from "./host.ts";
 * if (originOf("::1", 80) !== "http://[::1]:80") throw new Error("unreachable");
 * ```
 */
export function originOf(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/**
 * A runtime's server-side WebSocket as the core drives it: Deno's and Workers' standard
 * `WebSocket` and Bun's `ServerWebSocket` all have this shape. Bytes waiting to be sent are
 * read with {@linkcode readBufferedAmount}, which knows both spellings.
 *
 * @example Types only
 * ```ts
 * import type { NativeSocket } from "./host.ts";
 * const sent: unknown[] = [];
 * const socket: NativeSocket = { send: (frame) => void sent.push(frame), close() {} };
 * socket.send("hi");
 * if (sent.length !== 1) throw new Error("unreachable");
 * ```
 */
export interface NativeSocket {
  /**
   * Send one frame: a string as text, bytes as binary. May return a number, as Bun's does:
   * more than 0 when written at once, −1 when queued under backpressure, 0 when the runtime
   * dropped the frame (the connection is then closed with 4008, never left as it is).
   */
  send(frame: string | Uint8Array): unknown;
  /** Close with a code and reason. */
  close(code?: number, reason?: string): void;
}

/**
 * A runtime's own publish/subscribe over the sockets of one server (Bun: uWS topics): one
 * `publish` writes a frame to every socket that joined a topic, in native code, in order with
 * everything else sent on each socket. One object per server; the object is its identity.
 *
 * @example An in-memory stand-in (types only)
 * ```ts
 * import type { NativeSocket, RuntimeTopics } from "./host.ts";
 * const joined = new Map<string, Set<NativeSocket>>();
 * const topics: RuntimeTopics = {
 *   subscribe: (socket, topic) => void joined.set(topic, (joined.get(topic) ?? new Set()).add(socket)),
 *   unsubscribe: (socket, topic) => void joined.get(topic)?.delete(socket),
 *   publish(topic, frame, except) {
 *     for (const socket of joined.get(topic) ?? []) if (socket !== except) socket.send(frame);
 *   },
 * };
 * const got: unknown[] = [];
 * topics.subscribe({ send: (f) => got.push(f), close() {} }, "t");
 * topics.publish("t", "hi");
 * if (got[0] !== "hi") throw new Error("unreachable");
 * ```
 */
export interface RuntimeTopics {
  /**
   * Make a socket join a topic.
   *
   * @param socket The runtime's socket.
   * @param topic The topic.
   */
  subscribe(socket: NativeSocket, topic: string): void;
  /**
   * Make a socket leave a topic.
   *
   * @param socket The runtime's socket.
   * @param topic The topic.
   */
  unsubscribe(socket: NativeSocket, topic: string): void;
  /**
   * Send a text frame to every socket that joined the topic.
   *
   * @param topic The topic.
   * @param frame The frame.
   * @param except A socket left out.
   */
  publish(topic: string, frame: string, except?: NativeSocket): void;
}

/**
 * WebSocket events an adapter may drive directly, without Hono's per-socket wrapping: the
 * runtime's socket at open, then each frame as the runtime delivers it, then the close.
 *
 * An adapter's `upgradeWebSocket` checks its events with {@linkcode isSocketSink}. When they
 * are a sink it skips everything Hono builds per socket and per message (a `WSContext`, its
 * init object and closures, one or two `URL`s, and on Bun a `MessageEvent` per frame): an
 * idle connection then costs the sink and the runtime's socket, and a frame costs one method
 * call. Adapters that do not know sinks call the Hono `WSEvents` the same object also has,
 * so a sink must implement both. Binary frames arrive as an `ArrayBuffer` (the adapter sets
 * `binaryType`); a method that throws closes only its own connection, with 1011.
 *
 * Code that wraps a Switchboard's events to decorate `onMessage` (as the hub does) makes an
 * object that is not a sink, so its wrapper runs on every runtime.
 *
 * @example
 * ```ts
 * import { isSocketSink, type NativeSocket, type SocketSink } from "./host.ts";
 * const frames: unknown[] = [];
 * const sink: SocketSink = {
 *   socketOpened(_socket: NativeSocket) {},
 *   socketMessage: (frame) => void frames.push(frame),
 *   socketClosed() {},
 * };
 * sink.socketMessage("{}");
 * if (!isSocketSink(sink) || isSocketSink({ onMessage() {} })) throw new Error("unreachable");
 * if (frames.length !== 1) throw new Error("unreachable");
 * ```
 */
export interface SocketSink {
  /**
   * The runtime offers its own topic fan-out for this socket (called by Bun's adapter at the
   * upgrade, before `socketOpened`). Optional.
   */
  useTopics?(topics: RuntimeTopics): void;
  /** The socket opened; `socket` is the runtime's own object, for sending and closing. */
  socketOpened(socket: NativeSocket): void;
  /** A frame arrived: a string for text, an `ArrayBuffer` (or bytes) for binary. */
  socketMessage(frame: string | ArrayBuffer | Uint8Array): void;
  /** The socket closed (or failed: code 1006), once. */
  socketClosed(code: number, reason: string): void;
  /** The runtime's send buffer drained after backpressure (Bun's `drain`). Optional. */
  socketDrained?(): void;
}

/**
 * Whether WebSocket events are a {@linkcode SocketSink}.
 *
 * @param events The events handed to an adapter's `upgradeWebSocket`.
 * @returns True when they implement the three sink methods.
 * @example
 * ```ts
 * import { isSocketSink } from "./host.ts";
 * if (isSocketSink(undefined) || isSocketSink({})) throw new Error("unreachable");
 * ```
 */
export function isSocketSink(events: unknown): events is SocketSink {
  if (typeof events !== "object" || events === null) return false;
  const sink = events as Partial<SocketSink>;
  return typeof sink.socketMessage === "function" && typeof sink.socketOpened === "function" &&
    typeof sink.socketClosed === "function";
}

/**
 * Read a runtime socket's buffered byte count without allocating (Bun's
 * `getBufferedAmount()`, or the standard `bufferedAmount`).
 *
 * @param raw The runtime's socket object.
 * @returns The byte count, 0 when the socket cannot tell.
 * @example
 * ```ts
 * import { readBufferedAmount } from "./host.ts";
 * if (readBufferedAmount({ bufferedAmount: 7 }) !== 7) throw new Error("unreachable");
 * if (readBufferedAmount(undefined) !== 0) throw new Error("unreachable");
 * ```
 */
export function readBufferedAmount(raw: unknown): number {
  if (typeof raw !== "object" || raw === null) return 0;
  const socket = raw as { getBufferedAmount?: () => number; bufferedAmount?: number };
  if (typeof socket.getBufferedAmount === "function") return socket.getBufferedAmount();
  return typeof socket.bufferedAmount === "number" ? socket.bufferedAmount : 0;
}

/**
 * Whether a runtime socket is open (`readyState` 1, the standard OPEN, which Bun's
 * `ServerWebSocket` shares). A socket that cannot tell counts as open.
 *
 * @param raw The runtime's socket object.
 * @returns False only for a socket that reports another state.
 * @example
 * ```ts
 * import { isSocketOpen } from "./host.ts";
 * if (!isSocketOpen({ readyState: 1 }) || isSocketOpen({ readyState: 2 })) throw new Error();
 * if (!isSocketOpen({})) throw new Error("unreachable");
 * ```
 */
export function isSocketOpen(raw: unknown): boolean {
  if (typeof raw !== "object" || raw === null) return true;
  const state = (raw as { readyState?: unknown }).readyState;
  return typeof state !== "number" || state === 1;
}
