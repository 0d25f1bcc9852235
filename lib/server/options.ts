/**
 * The options of a Switchboard server and their checks: the option interface and the
 * resolution of the values every connection shares.
 *
 * @module
 */

import type { Context as HonoContext } from "hono";
import type { Limits } from "../protocol/limits.ts";
import type { Authorizer, Peer } from "../peer/peer.ts";
import type { FramingOptions } from "../framing/wire.ts";
import type { CloseInfo } from "../peer/transport.ts";
import type { BrokerOptions } from "../pubsub/broker.ts";
import { type BackpressureOptions, resolveBackpressure } from "./backpressure.ts";
import { type RateLimitOptions, resolveRateLimit } from "./rate_limit.ts";
import type { ServerHeartbeatOptions } from "./heartbeat.ts";

/**
 * Options of a {@linkcode Switchboard}.
 *
 * @example Types only
 * ```ts
 * import type { SwitchboardOptions } from "./options.ts";
 * const options: SwitchboardOptions = {
 *   timeout: 5_000,
 *   onOpen: (peer) => console.log("open", peer.info.id),
 * };
 * if (options.timeout !== 5_000) throw new Error("unreachable");
 * ```
 */
export interface SwitchboardOptions {
  /** Default timeout of the server's calls into clients, in ms; 0 for none. Default 30,000. */
  readonly timeout?: number;
  /** Receiver limits per connection; see {@linkcode Limits}. */
  readonly limits?: Partial<Limits>;
  /** Reveal messages of non-RpcError errors in `error.data`. Default false. */
  readonly exposeErrors?: boolean;
  /** Chunk size and attachment limits of binary frames (docs/PROTOCOL.md §5). */
  readonly framing?: Partial<FramingOptions>;
  /**
   * Build a connection's application data from the upgrade (or HTTP) request: read a
   * header, a cookie, the authenticated user set by earlier middleware. Throw an
   * `RpcError` to refuse the connection (HTTP 403 before any upgrade).
   */
  readonly context?: (
    c: HonoContext,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /**
   * Which of the upgrade request's headers a WebSocket connection keeps for its lifetime, as
   * `ConnectionInfo.headers`: none (`false`, the default), the names listed, or all (`true`).
   * The `context` hook sees every header either way: read what the connection needs there
   * (a user, a token) and keep it in its data, as the raw runtimes expect (Bun's and uWS's
   * `upgrade`, ws's `connection` event). Kept headers cost memory on every connection: all
   * of a plain handshake's cost ≈ 1.6 KB of heap on Deno (reading them makes the served
   * request, which Deno keeps as long as the socket, build its full header list) and a few
   * hundred bytes on Bun; a listed name costs its value. HTTP POST calls always see their
   * request's headers.
   */
  readonly keepHeaders?: boolean | readonly string[];
  /** Runs before each incoming call on every connection; see {@linkcode Authorizer}. */
  readonly authorize?: Authorizer;
  /** Runs when a WebSocket connection opens. */
  readonly onOpen?: (peer: Peer) => void;
  /** Runs when a WebSocket connection closes, after its pending calls were rejected. */
  readonly onClose?: (peer: Peer, info: CloseInfo) => void;
  /** Receives failures nobody awaits (procedures that threw non-RpcErrors, bad sends). */
  readonly onError?: (error: unknown, where: string, peer: Peer) => void;
  /** Topics: backplane, replay, limits, `authorize` hook; see {@linkcode BrokerOptions}. */
  readonly pubsub?: BrokerOptions;
  /** Serve the bundled client at `GET <path>/client.js` (types at `client.d.ts`). Default true. */
  readonly serveClient?: boolean;
  /**
   * Close WebSockets that stay silent: one timer for all, pinging (`rpc.ping`) those silent
   * for `interval` ms and closing (4000) those silent for `timeout` ms. Default
   * `{ interval: 30_000, timeout: 60_000 }`; `false` turns it off (for plain JSON-RPC clients
   * that neither talk nor answer requests for a minute).
   */
  readonly heartbeat?: ServerHeartbeatOptions | false;
  /**
   * Most channels a client may open on one WebSocket (multiplexing,
   * docs/PROTOCOL.md §6); 0 turns multiplexing off. Default 16.
   */
  readonly maxChannels?: number;
  /**
   * Bytes a WebSocket connection's socket may hold unsent (every outgoing frame counts:
   * answers, errors, stream items, events, calls, attachments). Over it for longer than
   * `slowConsumerGrace` ms, or over twice it at any time, the connection is closed with 4008
   * (slow consumer) and everything pending on it is rejected. Default 4 MiB; also read from
   * `pubsub.limits.maxBufferedBytes` when only that is given.
   */
  readonly maxBufferedBytes?: number;
  /**
   * Milliseconds a connection may stay over `maxBufferedBytes`. Default 100; also read from
   * `pubsub.limits.slowConsumerGrace` when only that is given.
   */
  readonly slowConsumerGrace?: number;
  /**
   * Rate limits per WebSocket connection: incoming frames and bytes per second, each with a
   * burst of one second's worth (lib/server/rate_limit.ts). Past one, the requests of a frame
   * are answered with -32029 instead of running; a connection that keeps sending a burst's
   * worth past it is closed with 4029. Default `{ messages: 20_000, bytes: 64 MiB }`; `false`
   * turns them off.
   */
  readonly rateLimit?: Partial<RateLimitOptions> | false;
}

/**
 * The outgoing bound of a server's connections: its own options, or the `pubsub.limits`
 * ones when only those are given.
 *
 * @param options The server's options.
 * @returns The resolved bound.
 * @example
 * ```ts
 * import { resolveServerBackpressure } from "./options.ts";
 * const bound = resolveServerBackpressure({ pubsub: { limits: { maxBufferedBytes: 1000 } } });
 * if (bound.maxBufferedBytes !== 1000) throw new Error("unreachable");
 * ```
 */
export function resolveServerBackpressure(options: SwitchboardOptions): BackpressureOptions {
  const pubsubLimits = options.pubsub?.limits;
  return resolveBackpressure({
    maxBufferedBytes: options.maxBufferedBytes ?? pubsubLimits?.maxBufferedBytes,
    slowConsumerGrace: options.slowConsumerGrace ?? pubsubLimits?.slowConsumerGrace,
  } as Partial<BackpressureOptions>);
}

/**
 * The rate limits of a server's connections, or undefined when turned off.
 *
 * @param options The server's options.
 * @returns The resolved limits.
 * @example
 * ```ts
 * import { resolveServerRateLimit } from "./options.ts";
 * if (resolveServerRateLimit({ rateLimit: false }) !== undefined) throw new Error("unreachable");
 * ```
 */
export function resolveServerRateLimit(options: SwitchboardOptions): RateLimitOptions | undefined {
  return options.rateLimit === false ? undefined : resolveRateLimit(options.rateLimit);
}

/**
 * The `keepHeaders` option, checked: a boolean, or header names (kept in lower case).
 *
 * @param keep The option's value.
 * @returns The checked value.
 * @throws {TypeError} When it is neither.
 * @example
 * ```ts
 * import { checkKeepHeaders } from "./options.ts";
 * const kept = checkKeepHeaders(["X-Device"]);
 * if (Array.isArray(kept) ? kept[0] !== "x-device" : true) throw new Error("unreachable");
 * ```
 */
export function checkKeepHeaders(keep: unknown): boolean | readonly string[] {
  if (keep === undefined) return false;
  if (typeof keep === "boolean") return keep;
  if (Array.isArray(keep) && keep.every((name) => typeof name === "string" && isHeaderName(name))) {
    return Object.freeze([...new Set(keep.map((name: string) => name.toLowerCase()))]);
  }
  throw new TypeError(
    `Switchboard: keepHeaders must be a boolean or an array of header names: got ${
      JSON.stringify(keep)
    }`,
  );
}

/** An HTTP field name: one or more token characters (RFC 9110 §5.1). */
function isHeaderName(name: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);
}
