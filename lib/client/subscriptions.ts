/**
 * The client's subscriptions: several handlers per topic share one server subscription,
 * patterns are matched locally to route events, and the last sequence number of each exact
 * topic is kept so a reconnecting client can resume with `since`. Browser-safe.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Params } from "../protocol/types.ts";
import { Pattern } from "../pubsub/pattern.ts";
import {
  type EventParams,
  type Gap,
  PubSubMethod,
  type SubscribeResult,
} from "../pubsub/protocol.ts";
import { isPattern } from "../pubsub/topic_name.ts";

const CONNECTION_CLOSED: number = ErrorCode.ConnectionClosed;

/**
 * Receives the events of a subscription.
 *
 * @example Types only
 * ```ts
 * import type { EventHandler } from "./subscriptions.ts";
 * const log: EventHandler = (data, event) => console.log(event.topic, event.seq, data);
 * if (typeof log !== "function") throw new Error("unreachable");
 * ```
 */
export type EventHandler = (data: unknown, event: EventParams) => void;

/**
 * Options of one `subscribe`.
 *
 * @example Types only
 * ```ts
 * import type { SubscribeOptions } from "./subscriptions.ts";
 * const options: SubscribeOptions = { since: 41, onGap: (gap) => console.log("resync", gap) };
 * if (options.since !== 41) throw new Error("unreachable");
 * ```
 */
export interface SubscribeOptions {
  /** Resume after this sequence number (exact topics; only for a new server subscription). */
  readonly since?: number;
  /** Called when the server cannot replay what was missed since `since`: resync. */
  readonly onGap?: (gap: Gap) => void;
}

/**
 * One handler's subscription.
 *
 * @example
 * ```ts ignore
 * const sub = client.subscribe("ticker.ACME", (price) => console.log(price));
 * await sub.ready;
 * await sub.unsubscribe();
 * ```
 */
export interface Subscription {
  /** The topic or pattern. */
  readonly topic: string;
  /** Resolves when the server confirmed; rejects with its error (the handler is dropped). */
  readonly ready: Promise<SubscribeResult>;
  /** Remove this handler; the last one to leave unsubscribes on the server. */
  unsubscribe(): Promise<void>;
}

/** How the subscriptions reach the server. */
export interface Caller {
  /** Call a server method. */
  call(method: string, params?: Params): Promise<unknown>;
}

interface Entry {
  readonly topic: string;
  readonly pattern: Pattern | undefined;
  readonly handlers: Set<EventHandler>;
  readonly ready: Promise<SubscribeResult>;
  readonly onGap: Set<(gap: Gap) => void>;
  lastSeq: number | undefined;
}

/**
 * The subscriptions of one client connection.
 *
 * @example Route an event to a pattern's handler
 * ```ts
 * import { Subscriptions } from "./subscriptions.ts";
 * const subs = new Subscriptions({ call: () => Promise.resolve({ topic: "a.*", seq: 0 }) });
 * const got: unknown[] = [];
 * await subs.subscribe("a.*", (data) => got.push(data)).ready;
 * subs.handleEvent({ topic: "a.b", seq: 1, data: "x" });
 * if (got[0] !== "x") throw new Error("unreachable");
 * ```
 */
export class Subscriptions {
  readonly #caller: Caller;
  readonly #report: (error: unknown, where: string) => void;
  readonly #entries = new Map<string, Entry>();
  readonly #patterns = new Map<string, Entry>();
  /** `listen()` handlers by topic or pattern: no server subscription behind them. */
  readonly #listeners = new Map<
    string,
    { pattern: Pattern | undefined; handlers: Set<EventHandler> }
  >();

  /**
   * @param caller Sends `rpc.subscribe` / `rpc.unsubscribe`.
   * @param report Receives handler failures and refused subscriptions nobody awaited.
   */
  constructor(caller: Caller, report: (error: unknown, where: string) => void = () => {}) {
    this.#caller = caller;
    this.#report = report;
  }

  /**
   * Add a handler for a topic or pattern.
   *
   * @param topic A topic or pattern.
   * @param handler Receives `(data, event)`.
   * @param options Resume point and gap callback.
   * @returns The subscription.
   */
  subscribe(topic: string, handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    if (typeof handler !== "function") {
      throw new TypeError(`Switchboard: the handler of ${topic} must be a function`);
    }
    let entry = this.#entries.get(topic);
    if (entry === undefined) {
      const params = options.since === undefined ? { topic } : { topic, since: options.since };
      const ready = this.#caller.call(PubSubMethod.Subscribe, params).then((value) => {
        const result = value as SubscribeResult;
        const current = this.#entries.get(topic);
        if (current !== undefined && current.ready === ready) {
          current.lastSeq = Math.max(current.lastSeq ?? 0, result.seq);
        }
        if (result.gap !== undefined) options.onGap?.(result.gap);
        return result;
      }, (error: unknown) => {
        if (this.#entries.get(topic)?.ready === ready) this.#forget(topic);
        throw error;
      });
      entry = {
        topic,
        pattern: isPattern(topic) ? new Pattern(topic) : undefined,
        handlers: new Set(),
        ready,
        onGap: new Set(),
        lastSeq: options.since,
      };
      this.#entries.set(topic, entry);
      if (entry.pattern !== undefined) this.#patterns.set(topic, entry);
      ready.catch((error) => this.#report(error, `subscribe ${topic}`));
    }
    const own = entry;
    own.handlers.add(handler);
    const onGap = options.onGap;
    if (onGap !== undefined) own.onGap.add(onGap);
    let done = false;
    return {
      topic,
      ready: own.ready,
      unsubscribe: async () => {
        if (done) return;
        done = true;
        own.handlers.delete(handler);
        if (onGap !== undefined) own.onGap.delete(onGap);
        if (own.handlers.size > 0 || this.#entries.get(topic) !== own) return;
        this.#forget(topic);
        try {
          await own.ready;
        } catch {
          return; // Never subscribed on the server: nothing to undo.
        }
        try {
          await this.#caller.call(PubSubMethod.Unsubscribe, { topic });
        } catch (error) {
          // A closed connection has no subscriptions left to drop.
          if ((error as { code?: unknown }).code !== CONNECTION_CLOSED) throw error;
        }
      },
    };
  }

  /**
   * Route an `rpc.event` notification to its handlers (registered as the client's
   * `rpc.event` procedure).
   *
   * @param params The notification's params.
   */
  handleEvent(params: unknown): void {
    if (typeof params !== "object" || params === null) return;
    const event = params as EventParams;
    if (typeof event.topic !== "string") return;
    const entry = this.#entries.get(event.topic);
    if (entry !== undefined && typeof event.seq === "number") entry.lastSeq = event.seq;
    const error = (params as { error?: unknown }).error;
    if (error !== undefined) {
      // The event's place in the sequence, without data this connection cannot decode (binary
      // it did not negotiate): no handler runs, the client's onError hears of it.
      const { code, message, data } = error as {
        code?: unknown;
        message?: unknown;
        data?: unknown;
      };
      this.#report(
        new RpcError(
          typeof code === "number" ? code : ErrorCode.InternalError,
          typeof message === "string" ? message : "Undeliverable event",
          data,
        ),
        `event ${event.topic}`,
      );
      return;
    }
    if (entry !== undefined) this.#dispatch(entry, event);
    for (const pattern of this.#patterns.values()) {
      if (pattern.pattern!.matches(event.topic)) this.#dispatch(pattern, event);
    }
    if (this.#listeners.size === 0) return;
    const exact = this.#listeners.get(event.topic);
    if (exact !== undefined && exact.pattern === undefined) this.#dispatch(exact, event);
    for (const listener of this.#listeners.values()) {
      if (listener.pattern?.matches(event.topic)) this.#dispatch(listener, event);
    }
  }

  /**
   * Listen to the events of a topic or pattern that reach this connection, without
   * subscribing: those the server sends to this connection only (`sb.sendEvent`), and those of
   * any subscription (so a topic both subscribed and listened to reaches both handlers).
   * Nothing is sent to the server; listeners are kept across reconnections.
   *
   * @param topic A topic or pattern (`*` one segment, a final `**` one or more).
   * @param handler Receives `(data, event)`; `event.seq` is absent for a direct event.
   * @returns A function that removes the listener.
   * @example
   * ```ts
   * import { Subscriptions } from "./subscriptions.ts";
   * const subs = new Subscriptions({ call: () => Promise.reject(new Error("never called")) });
   * const got: unknown[] = [];
   * const off = subs.listen("inbox.*", (data) => got.push(data));
   * subs.handleEvent({ topic: "inbox.ada", data: "hi" });
   * off();
   * subs.handleEvent({ topic: "inbox.ada", data: "gone" });
   * if (got.length !== 1 || got[0] !== "hi") throw new Error("unreachable");
   * ```
   */
  listen(topic: string, handler: EventHandler): () => void {
    if (typeof topic !== "string" || topic.length === 0) {
      throw new TypeError("Switchboard: onEvent needs a topic or pattern");
    }
    if (typeof handler !== "function") {
      throw new TypeError(`Switchboard: the handler of ${topic} must be a function`);
    }
    let listener = this.#listeners.get(topic);
    if (listener === undefined) {
      listener = {
        pattern: isPattern(topic) ? new Pattern(topic) : undefined,
        handlers: new Set(),
      };
      this.#listeners.set(topic, listener);
    }
    const handlers = listener.handlers;
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.#listeners.get(topic)?.handlers === handlers) {
        this.#listeners.delete(topic);
      }
    };
  }

  /**
   * The last sequence number seen on an exact topic.
   *
   * @param topic The topic.
   * @returns It, or `undefined` when not subscribed or nothing seen.
   */
  lastSeq(topic: string): number | undefined {
    return this.#entries.get(topic)?.lastSeq;
  }

  /**
   * What to send to resubscribe everything after a reconnect.
   *
   * @returns One `rpc.subscribe` params object per server subscription, with `since` for
   * exact topics whose sequence is known.
   */
  resumeParams(): { topic: string; since?: number }[] {
    return [...this.#entries.values()].map((e) =>
      e.pattern === undefined && e.lastSeq !== undefined
        ? { topic: e.topic, since: e.lastSeq }
        : { topic: e.topic }
    );
  }

  /**
   * Restore every server subscription on a new connection, resuming exact topics after their
   * last sequence number: the server replays what was missed (before its response), or
   * reports a gap, which goes to the `onGap` callbacks of that topic (resync).
   *
   * @param call Sends `rpc.subscribe` on the new connection.
   * @returns Resolves when every subscription was answered (refusals are reported).
   */
  async resume(call: (method: string, params: Params) => Promise<unknown>): Promise<void> {
    const entries = [...this.#entries.values()];
    await Promise.all(entries.map(async (entry) => {
      const since = entry.pattern === undefined ? entry.lastSeq : undefined;
      let result: SubscribeResult;
      try {
        result = await call(
          PubSubMethod.Subscribe,
          since === undefined ? { topic: entry.topic } : { topic: entry.topic, since },
        ) as SubscribeResult;
      } catch (error) {
        if ((error as { code?: unknown }).code !== CONNECTION_CLOSED) {
          this.#report(error, `resubscribe ${entry.topic}`);
        }
        return;
      }
      if (this.#entries.get(entry.topic) !== entry || entry.pattern !== undefined) return;
      if (result.gap !== undefined) {
        // The server's sequence restarted or moved past what it holds: follow it from here.
        entry.lastSeq = result.seq;
        for (const onGap of [...entry.onGap]) {
          try {
            onGap(result.gap);
          } catch (error) {
            this.#report(error, `onGap ${entry.topic}`);
          }
        }
      } else {
        entry.lastSeq = Math.max(entry.lastSeq ?? 0, result.seq);
      }
    }));
  }

  #dispatch(entry: { readonly handlers: Set<EventHandler> }, event: EventParams): void {
    for (const handler of entry.handlers) {
      try {
        handler(event.data, event);
      } catch (error) {
        this.#report(error, `event ${event.topic}`);
      }
    }
  }

  #forget(topic: string): void {
    this.#entries.delete(topic);
    this.#patterns.delete(topic);
  }
}
