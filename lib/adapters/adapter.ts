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
