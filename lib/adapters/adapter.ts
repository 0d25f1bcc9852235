/**
 * The runtime adapter interface: the only place a runtime's WebSocket upgrade and server
 * start live. Deno and Bun each implement it in one file; the core never imports them.
 *
 * @module
 */

import type { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";

/**
 * Where and how to listen.
 *
 * @example
 * ```ts
 * import type { ListenOptions } from "./adapter.ts";
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
}

/**
 * A running HTTP server.
 *
 * @example
 * ```ts
 * import type { RunningServer } from "./adapter.ts";
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
 * @example Pick the adapter of the current runtime
 * ```ts
 * import { detectAdapter } from "./detect.ts";
 * const adapter = await detectAdapter();
 * if (adapter.runtime !== "deno" && adapter.runtime !== "bun") throw new Error("unreachable");
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
}

/**
 * Format `http://host:port`, bracketing IPv6 literals.
 *
 * @param hostname A hostname or address.
 * @param port A port.
 * @returns The origin URL.
 * @example
 * ```ts
 * import { originOf } from "./adapter.ts";
 * if (originOf("::1", 80) !== "http://[::1]:80") throw new Error("unreachable");
 * ```
 */
export function originOf(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/**
 * An optional fast path on the WebSocket events a Switchboard hands to `upgradeWebSocket`:
 * an adapter whose runtime would otherwise wrap every incoming message (Hono's Bun adapter
 * builds a `MessageEvent`, a `WSContext` and a `URL` per message, a fifth of the server's
 * CPU time at small messages) may call this function with the frame instead of `onMessage`.
 * Adapters that do not know it ignore it and Hono's `onMessage` runs as usual.
 *
 * Binary frames reach the sink as the runtime gives them (a `Uint8Array` on Bun, exactly the
 * message's bytes). Code that wraps a Switchboard's events to decorate `onMessage` must drop
 * this key, or the runtimes that use it will bypass the wrapper.
 *
 * @example
 * ```ts
 * import { FRAME_SINK, type FrameSinkEvents } from "./adapter.ts";
 * const frames: unknown[] = [];
 * const events: FrameSinkEvents = { [FRAME_SINK]: (frame) => void frames.push(frame) };
 * events[FRAME_SINK]?.("{}");
 * if (frames.length !== 1) throw new Error("unreachable");
 * ```
 */
export const FRAME_SINK: unique symbol = Symbol.for("switchboard.frameSink");

/**
 * WebSocket events that may carry the {@linkcode FRAME_SINK} fast path.
 *
 * @example
 * ```ts
 * import type { FrameSinkEvents } from "./adapter.ts";
 * const events: FrameSinkEvents = {};
 * if (Object.keys(events).length !== 0) throw new Error("unreachable");
 * ```
 */
export interface FrameSinkEvents {
  /** Receives each incoming frame: a string for text, bytes for binary. */
  readonly [FRAME_SINK]?: (frame: string | ArrayBuffer | Uint8Array) => void;
}
