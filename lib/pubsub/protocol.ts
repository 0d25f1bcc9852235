/**
 * The pub/sub wire protocol: method names, params and results, the error code for refusals
 * and the slow-consumer close code. docs/PROTOCOL.md §7 shows the exact JSON.
 *
 * @module
 */

import { CloseCode } from "../protocol/close_codes.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { Method } from "../protocol/methods.ts";

/**
 * The pub/sub extension method names.
 *
 * @example
 * ```ts
 * import { PubSubMethod } from "./protocol.ts";
 * if (PubSubMethod.Event !== "rpc.event") throw new Error("unreachable");
 * ```
 */
export const PubSubMethod: {
  /** Request, client to server: subscribe to a topic or pattern, optionally resuming. */
  readonly Subscribe: typeof Method.Subscribe;
  /** Request, client to server: drop a subscription. */
  readonly Unsubscribe: typeof Method.Unsubscribe;
  /** Request, client to server: publish an event (when the server allows it). */
  readonly Publish: typeof Method.Publish;
  /** Notification, server to client: one event of a topic. */
  readonly Event: typeof Method.Event;
} = {
  Subscribe: Method.Subscribe,
  Unsubscribe: Method.Unsubscribe,
  Publish: Method.Publish,
  Event: Method.Event,
};

/**
 * The extension methods pub/sub adds, as the server announces them in `rpc.hello`.
 *
 * @example
 * ```ts
 * import { PUBSUB_EXTENSIONS } from "./protocol.ts";
 * if (!PUBSUB_EXTENSIONS.includes("rpc.subscribe")) throw new Error("unreachable");
 * ```
 */
export const PUBSUB_EXTENSIONS: readonly string[] = Object.freeze(Object.values(PubSubMethod));

/**
 * Error codes of pub/sub refusals (besides -32602 for bad names and -32005 for limits).
 * `Forbidden` is the shared {@linkcode ErrorCode.Forbidden}, kept here as an alias.
 *
 * @example
 * ```ts
 * import { PubSubErrorCode } from "./protocol.ts";
 * if (PubSubErrorCode.Forbidden !== -32006) throw new Error("unreachable");
 * ```
 */
export const PubSubErrorCode: {
  /** The server's authorization hook refused to let this connection subscribe or publish. */
  readonly Forbidden: typeof ErrorCode.Forbidden;
} = { Forbidden: ErrorCode.Forbidden };

/**
 * The close code of a connection that fell too far behind (see `maxBufferedBytes`).
 *
 * @example
 * ```ts
 * import { SLOW_CONSUMER_CLOSE } from "./protocol.ts";
 * if (SLOW_CONSUMER_CLOSE !== 4008) throw new Error("unreachable");
 * ```
 */
export const SLOW_CONSUMER_CLOSE: typeof CloseCode.SlowConsumer = CloseCode.SlowConsumer;

/**
 * Params of `rpc.subscribe`.
 *
 * @example Types only
 * ```ts
 * import type { SubscribeParams } from "./protocol.ts";
 * const params: SubscribeParams = { topic: "ticker.ACME", since: 41 };
 * if (params.since !== 41) throw new Error("unreachable");
 * ```
 */
export interface SubscribeParams {
  /** A topic name, or a pattern (`*` one segment, `**` as last segment: one or more). */
  readonly topic: string;
  /** Resume after this sequence number (exact topics only): missed events come first. */
  readonly since?: number;
}

/**
 * Why a resume could not replay what was missed.
 *
 * @example Types only
 * ```ts
 * import type { Gap } from "./protocol.ts";
 * const gap: Gap = { since: 3, oldest: 40, seq: 90, reason: "expired" };
 * if (gap.reason !== "expired") throw new Error("unreachable");
 * ```
 */
export interface Gap {
  /** The `since` that was asked. */
  readonly since: number;
  /** The oldest sequence number still held, or `null` when nothing is held. */
  readonly oldest: number | null;
  /** The topic's latest sequence number. */
  readonly seq: number;
  /**
   * `expired`: events after `since` are no longer held (or replay is off); `ahead`: `since`
   * is beyond the latest sequence number (the server restarted or forgot the topic).
   */
  readonly reason: "expired" | "ahead";
}

/**
 * Result of `rpc.subscribe`.
 *
 * @example Types only
 * ```ts
 * import type { SubscribeResult } from "./protocol.ts";
 * const result: SubscribeResult = { topic: "ticker.ACME", seq: 42, replayed: 1 };
 * if (result.seq !== 42) throw new Error("unreachable");
 * ```
 */
export interface SubscribeResult {
  /** The topic or pattern subscribed to. */
  readonly topic: string;
  /** The topic's latest sequence number when the subscription started (0 for patterns). */
  readonly seq: number;
  /** How many missed events were replayed before this response (with `since`). */
  readonly replayed?: number;
  /** Present when `since` was given and the missed events cannot be replayed: resync. */
  readonly gap?: Gap;
}

/**
 * Params of `rpc.publish`.
 *
 * @example Types only
 * ```ts
 * import type { PublishParams } from "./protocol.ts";
 * const params: PublishParams = { topic: "chat.lobby", data: { text: "hi" }, echo: true };
 * if (!params.echo) throw new Error("unreachable");
 * ```
 */
export interface PublishParams {
  /** An exact topic name. */
  readonly topic: string;
  /** Any JSON value. */
  readonly data?: unknown;
  /** Deliver the event to the publishing connection too. Default false. */
  readonly echo?: boolean;
}

/**
 * Params of an `rpc.event` notification.
 *
 * @example Types only
 * ```ts
 * import type { EventParams } from "./protocol.ts";
 * const event: EventParams = { topic: "ticker.ACME", seq: 7, data: { price: 101.5 } };
 * if (event.seq !== 7) throw new Error("unreachable");
 * ```
 */
export interface EventParams {
  /** The topic the event was published on (never a pattern). */
  readonly topic: string;
  /** The data published. */
  readonly data: unknown;
  /** Its sequence number in the topic; absent for events sent to one connection only. */
  readonly seq?: number;
}
