/**
 * Keep each socket's session current as the protocol changes it: `rpc.hello` (codec, binary
 * frames), `rpc.subscribe` and `rpc.unsubscribe` (topics). Wraps those reserved procedures of
 * a Switchboard hosted by a Durable Object.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../../protocol/errors.ts";
import { Extension } from "../../protocol/extensions.ts";
import { PubSubMethod } from "../../pubsub/protocol.ts";
import type { Switchboard } from "../../server/switchboard.ts";
import type { Session } from "./session.ts";

/**
 * Where the sessions are kept.
 *
 * @example Types only
 * ```ts
 * import type { SessionBook } from "./session_hooks.ts";
 * const book: SessionBook = { sessionOf: () => undefined, write() {}, save() {} };
 * if (book.sessionOf("c1") !== undefined) throw new Error("unreachable");
 * ```
 */
export interface SessionBook {
  /** The session of one of the object's sockets, by connection id. */
  sessionOf(id: string): Session | undefined;
  /** Write a session that changed; throws a `RangeError` when it no longer fits. */
  write(id: string): void;
  /** Write a session that changed; closes its socket when it no longer fits. */
  save(id: string): void;
}

/**
 * Wrap a Switchboard's `rpc.hello`, `rpc.subscribe` and `rpc.unsubscribe` so their outcomes
 * land in the caller's session. A subscription that would not fit is undone and refused
 * with -32005 (Limit exceeded).
 *
 * @param switchboard The hub (its built-in procedures are registered).
 * @param book The sessions.
 * @example
 * ```ts
 * import { Switchboard } from "../../server/switchboard.ts";
 * import { recordProtocol } from "./session_hooks.ts";
 * const sb = new Switchboard();
 * recordProtocol(sb, { sessionOf: () => undefined, write() {}, save() {} });
 * if (!sb.procedures.has("rpc.subscribe")) throw new Error("unreachable");
 * ```
 */
export function recordProtocol(switchboard: Switchboard, book: SessionBook): void {
  const registry = switchboard.procedures;
  const hello = registry.get(Extension.Hello)!.handler;
  registry.registerReserved(Extension.Hello, async (params: unknown, ctx) => {
    const result = await hello(params as never, ctx) as { codec: string; binary: boolean };
    const session = book.sessionOf(ctx.connection.id);
    if (session !== undefined) {
      session.codec = result.codec;
      session.binary = session.binary || result.binary;
      book.save(ctx.connection.id);
    }
    return result;
  });
  const subscribe = registry.get(PubSubMethod.Subscribe)!.handler;
  registry.registerReserved(PubSubMethod.Subscribe, async (p: { topic: string }, ctx) => {
    const result = await subscribe(p as never, ctx) as { topic: string };
    const session = book.sessionOf(ctx.connection.id);
    if (session === undefined || session.topics.includes(result.topic)) return result;
    session.topics.push(result.topic);
    try {
      book.write(ctx.connection.id);
    } catch (error) {
      session.topics.pop();
      switchboard.pubsub.unsubscribe(ctx.connection.id, result.topic);
      throw new RpcError(ErrorCode.LimitExceeded, "Limit exceeded", {
        reason: (error as Error).message,
      });
    }
    return result;
  }, { params: ["topic", "since"], shape: "object" });
  const unsubscribe = registry.get(PubSubMethod.Unsubscribe)!.handler;
  registry.registerReserved(PubSubMethod.Unsubscribe, async (p: { topic: string }, ctx) => {
    const result = await unsubscribe(p as never, ctx);
    const session = book.sessionOf(ctx.connection.id);
    if (session !== undefined && result === true) {
      session.topics = session.topics.filter((topic) => topic !== p.topic);
      book.save(ctx.connection.id);
    }
    return result;
  }, { params: ["topic"], shape: "object" });
}
